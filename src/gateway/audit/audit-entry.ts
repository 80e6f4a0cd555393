/** Who made an admin change: the master key (API or sign-in form), the keys CLI, or a user signed in through OIDC. */
export type AdminActor = { via: "master-key" } | { via: "cli" } | { via: "oidc"; subject: string; email?: string; name?: string };
