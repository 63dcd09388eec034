/**
 * Facts of Tencent's Live callback protocol that the rest of the service relies on
 * (https://trtc.io/document/64412, https://trtc.io/document/34354). The commands themselves are
 * in the command table (src/pipeline/command-table.ts).
 */

/** Tencent's response body for success. After-callbacks ignore it but require HTTP 200 + JSON. */
export const OK_BODY = '{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":0}';

/** Tencent's response body for a refused callback: non-zero code and a short reason. */
export function failBody(errorCode: number, errorInfo: string): string {
  return JSON.stringify({ ActionStatus: 'FAIL', ErrorInfo: errorInfo, ErrorCode: errorCode });
}

/**
 * The answer to a before-callback: `ErrorCode` 0 lets the user action through, other codes stop
 * it (gifts: non-zero blocks, https://trtc.io/document/72210; room messages: 1 rejects, 2 drops
 * silently, https://trtc.io/document/74347). `ActionStatus` stays OK: the callback itself worked.
 */
export function verdictBody(errorCode: number): string {
  return `{"ActionStatus":"OK","ErrorInfo":"","ErrorCode":${errorCode}}`;
}
