/*
 * The camera as a streaming detector firmware sees it (face_m4.c, face_qvga.c, face_fast.c, through
 * front_end_stream.c): the preprocessed int8 320x240 frame (the same bytes the whole-frame ABI
 * writes at m4sim_input, row-major, 320 bytes a row) is never in RAM whole; the firmware asks for the
 * rows it needs, when it needs them, into a buffer of its own, like a DCMI + DMA transfer of a line
 * range on an STM32F4 that the driver starts and waits for.
 *
 * Under m4sim the request is the application semihosting call M4SIM_SEMIHOSTING_CAMERA_ROWS (0x100;
 * ARM's semihosting specification reserves 0x100-0x1FF for applications): r0 = 0x100, r1 = the
 * address of { dest, first_row, row_count } (three 32-bit words). The host copies rows
 * [first_row, first_row + row_count) of the frame to dest and returns 0 in r0; it refuses (returns -1,
 * copies nothing, records why in the run's semihosting refusals) a range outside the frame, an empty
 * one, or a destination that is not all RAM. Host side: src/emulator/camera.ts. On a board, replace
 * m4sim_camera_rows() with the camera driver's line-range transfer.
 */
#ifndef M4SIM_CAMERA_H_
#define M4SIM_CAMERA_H_

#include <stdint.h>

#define M4SIM_SEMIHOSTING_CAMERA_ROWS 0x100u
#define M4SIM_CAMERA_WIDTH 320u
#define M4SIM_CAMERA_HEIGHT 240u
/* The detector's exit status when the camera refused a request (the run stops there). */
#define M4SIM_EXIT_CAMERA 3

/* Copies frame rows [first_row, first_row + row_count) to dest (row_count * 320 bytes). 0, or -1 refused. */
int m4sim_camera_rows(int8_t *dest, uint32_t first_row, uint32_t row_count);

#endif
