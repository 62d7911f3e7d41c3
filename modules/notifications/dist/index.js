// modules/notifications/src/index.ts
var CHANNELS = ["email", "sms", "push"];
var outbox = [];
var nextId = 1;
async function activate() {
  outbox.length = 0;
  return {
    "notifications.send": {
      async send(input, call) {
        const channel = input?.channel ?? "email";
        const allowed = call.settings?.channels ?? CHANNELS;
        if (!CHANNELS.includes(channel)) throw new Error(`notifications.send: unknown channel ${String(channel)}`);
        if (!allowed.includes(channel)) throw new Error(`notifications.send: channel ${channel} is not enabled for this client`);
        if (typeof input.to !== "string" || input.to === "") throw new Error('notifications.send: "to" must be a non-empty string');
        if (typeof input.text !== "string" || input.text === "") throw new Error('notifications.send: "text" must be a non-empty string');
        const message = { id: `msg_${nextId++}`, to: input.to, channel, text: input.text.slice(0, 1e3), queuedAt: (/* @__PURE__ */ new Date()).toISOString() };
        outbox.push(message);
        return message;
      },
      async outbox() {
        return outbox.slice();
      }
    }
  };
}
export {
  activate
};
