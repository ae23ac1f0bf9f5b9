/** Config errors: every problem found in one pass, so an operator fixes them all at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly role: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid ${role} configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
