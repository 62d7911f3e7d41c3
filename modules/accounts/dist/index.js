// modules/accounts/src/index.ts
var users = /* @__PURE__ */ new Map();
var nextId = 1;
function requireString(input, key) {
  const value = input[key];
  if (typeof value !== "string" || value.trim() === "") throw new Error(`accounts.users: "${key}" must be a non-empty string`);
  return value.trim();
}
async function activate(ctx) {
  users.clear();
  for (const user of ctx.previousState?.users ?? []) users.set(user.id, user);
  nextId = ctx.previousState?.nextId ?? users.size + 1;
  ctx.log?.info(`accounts ${ctx.module.version} active with ${users.size} users`);
  return {
    "accounts.users": {
      async create(input) {
        const email = requireString(input, "email").toLowerCase();
        if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new Error(`accounts.users: "${email}" is not an email address`);
        for (const existing of users.values()) if (existing.email === email) throw new Error(`accounts.users: ${email} already has account ${existing.id}`);
        const user = { id: `acct_${nextId++}`, name: requireString(input, "name"), email, createdAt: (/* @__PURE__ */ new Date()).toISOString() };
        users.set(user.id, user);
        return user;
      },
      async get(input) {
        const user = users.get(requireString(input, "id"));
        return user ?? null;
      },
      async list() {
        return [...users.values()];
      }
    }
  };
}
async function deactivate() {
  return { users: [...users.values()], nextId };
}
export {
  activate,
  deactivate
};
