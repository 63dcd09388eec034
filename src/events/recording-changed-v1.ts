import type { CloudRecordingCallback } from '../tencent/commands/cloud-recording';
import { cloudRecordingSchema } from '../tencent/commands/cloud-recording';
import { namedKeys } from '../tencent/commands/validator';
import type { EventTail, Extensions, ReceiptMetadata } from './normalize';
import { eventTail, idText, isoMillis, isoSeconds, orNull, unknownFields } from './normalize';

export const RECORDING_CHANGED_V1 = 'com.tencentcloud.live.recording.changed.v1';

type Source = 'EventTime' | 'EventInfo.EventMsTs' | 'EventInfo.EventTs' | 'CallbackTs';

/** Data of `recording.changed.v1`; JSON Schema: schemas/com.tencentcloud.live.recording.changed.v1.json. */
export interface RecordingChangedV1 extends EventTail<Source> {
  sdkAppId: string;
  roomId: string;
  eventGroupId: number | null;
  eventType: number | null;
  callbackTs: string | null;
  userId: string | null;
  taskId: string | null;
  eventTs: string | null;
  eventMsTs: string | null;
  payload: object | null;
  extensions: { callback: Extensions; eventInfo: Extensions };
}

const KEYS = namedKeys(cloudRecordingSchema);
const INFO_KEYS = namedKeys(cloudRecordingSchema, 'EventInfo');

/**
 * Normalizes the cloud-recording status callback, `Live.CallbackAfterCloudRecordingChanged` or
 * `Follow.CallbackAfterCloudRecordingChanged` (https://trtc.io/document/78428). Its time is
 * `EventTime` if Tencent ever adds it, else when the recording event happened, else when the
 * callback was sent.
 */
export function normalizeRecordingChanged(
  callback: CloudRecordingCallback,
  meta: ReceiptMetadata,
): RecordingChangedV1 {
  const info = callback.EventInfo;
  return {
    sdkAppId: meta.sdkAppId,
    roomId: String(info.RoomId),
    eventGroupId: orNull(callback.EventGroupId),
    eventType: orNull(callback.EventType),
    callbackTs: isoMillis(callback.CallbackTs),
    userId: idText(info.UserId),
    taskId: orNull(info.TaskId),
    eventTs: isoSeconds(info.EventTs),
    eventMsTs: isoMillis(info.EventMsTs),
    payload: orNull(info.Payload),
    ...eventTail<Source>(
      meta,
      ['EventTime', callback.EventTime, 'ms'],
      ['EventInfo.EventMsTs', info.EventMsTs, 'ms'],
      ['EventInfo.EventTs', info.EventTs, 's'],
      ['CallbackTs', callback.CallbackTs, 'ms'],
    ),
    extensions: {
      callback: unknownFields(callback, KEYS),
      eventInfo: unknownFields(info, INFO_KEYS),
    },
  };
}
