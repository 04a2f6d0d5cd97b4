/** mqa: reliable messaging on RabbitMQ and Redis Streams. */
export * from "./core/mod.js";
