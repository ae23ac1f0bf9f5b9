/** Errors of the settings grammar: operator input that is not a valid value for a setting. */

export class SettingValueError extends Error {
  override readonly name = 'SettingValueError';
  constructor(
    readonly setting: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`invalid value "${value}" for ${setting}: expected ${expected}`);
  }
}
