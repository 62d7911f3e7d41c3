// notifications: validates and queues messages in an outbox; a real one would deliver them.
interface Message {
  id: string;
  to: string;
  channel: 'email' | 'sms' | 'push';
  text: string;
  queuedAt: string;
}
interface Call {
  settings?: { channels?: Message['channel'][] };
}

const CHANNELS: Message['channel'][] = ['email', 'sms', 'push'];
const outbox: Message[] = [];
let nextId = 1;

export async function activate() {
  outbox.length = 0;
  return {
    'notifications.send': {
      async send(input: { to?: unknown; channel?: unknown; text?: unknown }, call: Call) {
        const channel = (input?.channel ?? 'email') as Message['channel'];
        const allowed = call.settings?.channels ?? CHANNELS;
        if (!CHANNELS.includes(channel)) throw new Error(`notifications.send: unknown channel ${String(channel)}`);
        if (!allowed.includes(channel)) throw new Error(`notifications.send: channel ${channel} is not enabled for this client`);
        if (typeof input.to !== 'string' || input.to === '') throw new Error('notifications.send: "to" must be a non-empty string');
        if (typeof input.text !== 'string' || input.text === '') throw new Error('notifications.send: "text" must be a non-empty string');
        const message: Message = { id: `msg_${nextId++}`, to: input.to, channel, text: input.text.slice(0, 1000), queuedAt: new Date().toISOString() };
        outbox.push(message);
        return message;
      },
      async outbox() {
        return outbox.slice();
      },
    },
  };
}
