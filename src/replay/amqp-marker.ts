/**
 * The header of the end marker a bounded RabbitMQ replay writes into a stream queue (see amqp.ts). Its own
 * file so `mqa/replay` can export the name without loading amqplib.
 */
export const REPLAY_END_HEADER = "x-mqa-replay-end";
