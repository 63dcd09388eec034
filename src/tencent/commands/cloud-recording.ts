import type { TencentCallback } from './fields';
import { account, anyObject, callback, code, epochMs, epochS, id, open, text } from './fields';

/**
 * The cloud-recording status callback (https://trtc.io/document/78428): a host started or
 * stopped live with recording on. The Chinese page names it
 * `Live.CallbackAfterCloudRecordingChanged`, the English one
 * `Follow.CallbackAfterCloudRecordingChanged`; both are accepted. `EventType` is a TRTC
 * recording event (301 recorder started, 302 stopped, 303–307 uploads and files); `CallbackTs`
 * and `EventMsTs` are milliseconds, `EventTs` seconds. There is no `EventTime` in the sample.
 */
export interface CloudRecordingCallback extends TencentCallback {
  EventGroupId?: number;
  EventType?: number;
  CallbackTs?: number;
  EventInfo: {
    RoomId: string | number;
    EventTs?: number;
    EventMsTs?: number;
    UserId?: string | number;
    TaskId?: string;
    Payload?: Record<string, unknown>;
    [unknown: string]: unknown;
  };
}

export const cloudRecordingSchema = callback<CloudRecordingCallback>({
  EventGroupId: code,
  EventType: code,
  CallbackTs: epochMs,
  EventInfo: open({
    RoomId: id.required(),
    EventTs: epochS,
    EventMsTs: epochMs,
    UserId: account,
    TaskId: text(1024),
    Payload: anyObject,
  }).required(),
});
