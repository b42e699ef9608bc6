// Which of RM0090's two register sets an STM32F4 model follows: the STM32F42xxx/43xxx parts
// (F427/429/437/439: RCC section 6, PLLSAI, over-drive, 4-bit flash latency …) or the
// STM32F405xx/07xx and STM32F415xx/17xx parts (RCC section 7). A board entry chooses with the
// `f42x` parameter: 1 (the default) or 0.
import type { ParamSpec } from '../device.js';

export const F42X_PARAM: ParamSpec = {
  min: 0,
  max: 1,
  default: 1,
  description: '1: STM32F42xxx/43xxx register set (default); 0: STM32F405xx/07xx/15xx/17xx',
};

/** True for the STM32F42xxx/43xxx register set. */
export function isF42x(params: Record<string, number>): boolean {
  return (params.f42x ?? F42X_PARAM.default) !== 0;
}
