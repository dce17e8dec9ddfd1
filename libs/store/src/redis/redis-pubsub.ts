import type { Redis } from 'ioredis';
import type { MessageHandler, StoreLogger, Unsubscribe } from '../store';

interface Channel {
  readonly handlers: Set<MessageHandler>;
  /** Resolves when Redis has confirmed the SUBSCRIBE. */
  readonly ready: Promise<unknown>;
}

/**
 * Subscriptions of one Redis store over one dedicated connection (a connection in subscriber
 * mode can do nothing else). Each Redis channel is subscribed once, however many handlers it
 * has, and unsubscribed when its last handler goes.
 */
export class RedisSubscriptions {
  private readonly channels = new Map<string, Channel>();
  private connection: Redis | undefined;

  constructor(
    private readonly connect: () => Redis,
    private readonly logger: StoreLogger,
  ) {}

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    const connection = this.connection ?? this.open();
    // A wrapper per subscription, so that subscribing one function twice gives two.
    const subscription: MessageHandler = (message) => handler(message);
    let entry = this.channels.get(channel);
    if (entry === undefined) {
      const ready = connection.subscribe(channel);
      entry = { handlers: new Set(), ready };
      this.channels.set(channel, entry);
      // On failure the next subscribe starts over instead of reusing a rejected promise.
      ready.catch(() => {
        if (this.channels.get(channel) === entry) {
          this.channels.delete(channel);
        }
      });
    }
    entry.handlers.add(subscription);
    try {
      await entry.ready;
    } catch (error) {
      entry.handlers.delete(subscription);
      throw error;
    }
    const subscribed = entry;
    return async () => {
      if (!subscribed.handlers.delete(subscription) || subscribed.handlers.size > 0) {
        return;
      }
      if (this.channels.get(channel) === subscribed) {
        this.channels.delete(channel);
        // Commands on one connection run in order, so a later SUBSCRIBE of the same channel
        // cannot be undone by this UNSUBSCRIBE.
        await this.connection?.unsubscribe(channel);
      }
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
    const connection = this.connection;
    this.connection = undefined;
    if (connection !== undefined) {
      await connection.quit().catch(() => connection.disconnect());
    }
  }

  private open(): Redis {
    const connection = this.connect();
    connection.on('error', (error: Error) => {
      this.logger('warn', 'redis subscriber connection error', { error: error.message });
    });
    connection.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      this.dispatch(channel.toString('utf8'), message);
    });
    this.connection = connection;
    return connection;
  }

  private dispatch(channel: string, message: Buffer): void {
    const entry = this.channels.get(channel);
    if (entry === undefined) {
      return;
    }
    for (const handler of [...entry.handlers]) {
      try {
        handler(new Uint8Array(message));
      } catch (error) {
        this.logger('error', 'store subscription handler threw', {
          channel,
          error: (error as Error)?.message,
        });
      }
    }
  }
}
