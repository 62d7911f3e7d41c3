// accounts: the users other modules charge and invoice. State survives a hot swap.
interface User {
  id: string;
  name: string;
  email: string;
  createdAt: string;
}
interface Ctx {
  module: { id: string; version: string };
  previousState?: { users?: User[]; nextId?: number };
  log?: { info(msg: string, data?: unknown): void };
}

const users = new Map<string, User>();
let nextId = 1;

function requireString(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`accounts.users: "${key}" must be a non-empty string`);
  return value.trim();
}

export async function activate(ctx: Ctx) {
  users.clear();
  for (const user of ctx.previousState?.users ?? []) users.set(user.id, user);
  nextId = ctx.previousState?.nextId ?? users.size + 1;
  ctx.log?.info(`accounts ${ctx.module.version} active with ${users.size} users`);
  return {
    'accounts.users': {
      async create(input: Record<string, unknown>) {
        const email = requireString(input, 'email').toLowerCase();
        if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new Error(`accounts.users: "${email}" is not an email address`);
        for (const existing of users.values()) if (existing.email === email) throw new Error(`accounts.users: ${email} already has account ${existing.id}`);
        const user: User = { id: `acct_${nextId++}`, name: requireString(input, 'name'), email, createdAt: new Date().toISOString() };
        users.set(user.id, user);
        return user;
      },
      async get(input: Record<string, unknown>) {
        const user = users.get(requireString(input, 'id'));
        return user ?? null;
      },
      async list() {
        return [...users.values()];
      },
    },
  };
}

export async function deactivate() {
  return { users: [...users.values()], nextId };
}
