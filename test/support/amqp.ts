/** The RabbitMQ the integration tests talk to: the shared one, or `MQA_TEST_AMQP_URL` when set. */
export const AMQP_URL = process.env.MQA_TEST_AMQP_URL ?? "amqp://guest:guest@127.0.0.1:5672";
/** Its AMQP port, for pointing a FaultProxy at it. */
export const AMQP_PORT = Number(new URL(AMQP_URL).port || 5672);
