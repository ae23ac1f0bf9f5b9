/**
 * Where a message came from: the cluster model's message source. Rules test it, loop control and
 * DSN suppression read it, and it travels with every queue job and delivery request.
 */
export type MessageSource = 'SMTP' | 'SUBMIT' | 'RULE' | 'DSN' | 'CLI';
