// The peripheral models a board file can name in `peripherals[].model`, by name. Adding a model is
// adding its file under src/emulator/peripherals/ and one line here.
import type { DeviceModel } from './device.js';
import { STM32F4_TIMER } from './stm32f4-timer.js';
import { STM32F4_GPIO } from './stm32f4-gpio.js';
import { STM32F4_USART } from './stm32f4-usart.js';
import { STM32F4_EXTI } from './stm32f4/exti.js';
import { STM32F4_FLASH } from './stm32f4/flash.js';
import { STM32F4_PWR } from './stm32f4/pwr.js';
import { STM32F4_RCC } from './stm32f4/rcc.js';
import { STM32F4_SYSCFG } from './stm32f4/syscfg.js';

export const DEVICE_MODELS: Readonly<Record<string, DeviceModel>> = {
  'stm32f4-rcc': STM32F4_RCC,
  'stm32f4-pwr': STM32F4_PWR,
  'stm32f4-flash': STM32F4_FLASH,
  'stm32f4-syscfg': STM32F4_SYSCFG,
  'stm32f4-exti': STM32F4_EXTI,
  'stm32f4-gpio': STM32F4_GPIO,
  'stm32f4-usart': STM32F4_USART,
  'stm32f4-timer': STM32F4_TIMER,
};

export function deviceModel(name: string): DeviceModel | undefined {
  return Object.prototype.hasOwnProperty.call(DEVICE_MODELS, name) ? DEVICE_MODELS[name] : undefined;
}
