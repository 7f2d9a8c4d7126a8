/** What an account may do: admin runs the server, member keeps photos, viewer only looks. */
export const roles = ['admin', 'member', 'viewer'] as const;
export type Role = (typeof roles)[number];
