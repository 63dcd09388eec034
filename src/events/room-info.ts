import type { RoomInfoFields } from '../tencent/commands/room-info';
import { idText, isoSeconds, orNull } from './normalize';

/**
 * A room's fields as the destroyed and updated events carry them: every `RoomInfo` field in
 * camelCase, `null` when Tencent did not send it.
 */
export interface RoomInfoV1 {
  roomName: string | null;
  roomType: string | null;
  ownerAccount: string | null;
  maxMemberCount: number | null;
  isMessageDisabled: boolean | null;
  customInfo: string | null;
  isSeatEnabled: boolean | null;
  maxSeatCount: number | null;
  takeSeatMode: string | null;
  createTime: string | null;
  isPublicVisible: boolean | null;
  coverUrl: string | null;
  category: number[] | null;
  activityStatus: number | null;
  viewCount: number | null;
  backgroundUrl: string | null;
  isUnlimitedRoomEnabled: boolean | null;
}

export function roomInfoData(room: RoomInfoFields | undefined): RoomInfoV1 {
  return {
    roomName: orNull(room?.RoomName),
    roomType: orNull(room?.RoomType),
    ownerAccount: idText(room?.Owner_Account),
    maxMemberCount: orNull(room?.MaxMemberCount),
    isMessageDisabled: orNull(room?.IsMessageDisabled),
    customInfo: orNull(room?.CustomInfo),
    isSeatEnabled: orNull(room?.IsSeatEnabled),
    maxSeatCount: orNull(room?.MaxSeatCount),
    takeSeatMode: orNull(room?.TakeSeatMode),
    createTime: isoSeconds(room?.CreateTime),
    isPublicVisible: orNull(room?.IsPublicVisible),
    coverUrl: orNull(room?.CoverURL),
    category: orNull(room?.Category),
    activityStatus: orNull(room?.ActivityStatus),
    viewCount: orNull(room?.ViewCount),
    backgroundUrl: orNull(room?.BackgroundURL),
    isUnlimitedRoomEnabled: orNull(room?.IsUnlimitedRoomEnabled),
  };
}
