// The peripheral models a board file can name in `peripherals[].model`, by name. Adding a model is
// adding its file under src/emulator/peripherals/ and one line here.
import type { DeviceModel } from './device.js';

export const DEVICE_MODELS: Readonly<Record<string, DeviceModel>> = {};

export function deviceModel(name: string): DeviceModel | undefined {
  return Object.prototype.hasOwnProperty.call(DEVICE_MODELS, name) ? DEVICE_MODELS[name] : undefined;
}
