// The camera a streaming detector firmware reads its frame from (firmware/app/camera.h): the host
// holds the frame, the firmware asks for a range of rows into a RAM buffer of its own with the
// application semihosting call 0x100 (ARM's semihosting specification reserves 0x100-0x1FF for
// applications), parameter block { dest, first_row, row_count } (three words), and gets 0 back, like a
// camera interface's DMA transfer of a line range. A request for rows outside the frame, no rows, or a
// destination that is not all RAM is refused: -1, nothing copied, the reason in the run's semihosting
// refusals (src/emulator/semihosting.ts serves the call).

/** The semihosting operation number of a row request (M4SIM_SEMIHOSTING_CAMERA_ROWS in camera.h). */
export const CAMERA_ROWS_OP = 0x100;

/** The frame the camera serves: `height` rows of `width` bytes, row-major. */
export interface CameraFrame {
  bytes: Uint8Array;
  width: number;
  height: number;
}

/** A frame of `width` x `height` bytes; the caller's sizes must describe `bytes` exactly. */
export function cameraFrame(bytes: Uint8Array, width: number, height: number): CameraFrame {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0)
    throw new RangeError(`camera frame size ${width}x${height} is not positive integers`);
  if (bytes.length !== width * height)
    throw new RangeError(`camera frame of ${bytes.length} bytes is not ${width}x${height}`);
  return { bytes, width, height };
}

/** Why a request for `count` rows from `first` is refused, or null when the frame has them all. */
export function cameraRowsProblem(frame: CameraFrame, first: number, count: number): string | null {
  if (count === 0) return `no rows (from row ${first})`;
  // Unsigned 32-bit words: a sum past the frame (or wrapping) is refused like any other range.
  if (first >= frame.height || count > frame.height - first)
    return `rows ${first}..${first + count - 1} outside the ${frame.height}-row frame`;
  return null;
}

/** The bytes of rows [first, first + count), already checked by cameraRowsProblem. */
export function cameraRows(frame: CameraFrame, first: number, count: number): Uint8Array {
  return frame.bytes.subarray(first * frame.width, (first + count) * frame.width);
}
