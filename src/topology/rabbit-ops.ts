/**
 * The operations a RabbitMQ plan, an apply and a rollback are made of. Plain data, so a rollback file can
 * hold them; {@link runRabbitOp} is the one place that turns them into management API calls.
 */
import { InvalidSpecError } from "./errors.js";
import type {
  BindingDefinition,
  ExchangeDefinition,
  PermissionDefinition,
  PolicyDefinition,
  QueueDefinition,
  VhostDefinition,
} from "../brokers/rabbit-definitions.js";
import type { RabbitManagementApi } from "../brokers/management-api.js";

export type RabbitOp =
  | { op: "put-vhost"; vhost: VhostDefinition }
  | { op: "delete-vhost"; name: string }
  | {
      op: "put-user";
      name: string;
      tags: string[];
      /** Exactly one of `passwordHash` (+ algorithm) and `passwordEnv`, or neither for a passwordless user. */
      passwordHash?: string;
      hashingAlgorithm?: string;
      passwordEnv?: string;
    }
  | { op: "delete-user"; name: string }
  | { op: "put-permission"; permission: PermissionDefinition }
  | { op: "delete-permission"; vhost: string; user: string }
  | { op: "put-policy"; policy: PolicyDefinition }
  | { op: "delete-policy"; vhost: string; name: string }
  | { op: "put-exchange"; exchange: ExchangeDefinition }
  | { op: "delete-exchange"; vhost: string; name: string }
  | { op: "put-queue"; queue: QueueDefinition }
  | { op: "delete-queue"; vhost: string; name: string; ifEmpty: boolean }
  | { op: "put-binding"; binding: BindingDefinition }
  | { op: "delete-binding"; binding: BindingDefinition };

/** Carry out one operation. `env` supplies passwords named by `passwordEnv`. */
export async function runRabbitOp(
  api: RabbitManagementApi,
  op: RabbitOp,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<void> {
  switch (op.op) {
    case "put-vhost":
      await api.putVhost(op.vhost);
      return;
    case "delete-vhost":
      await api.deleteVhost(op.name);
      return;
    case "put-user": {
      if (op.passwordEnv !== undefined) {
        const password = env[op.passwordEnv];
        if (password === undefined || password === "") {
          throw new InvalidSpecError("(environment)", [
            { path: `user ${op.name}`, message: `environment variable ${op.passwordEnv} is not set` },
          ]);
        }
        await api.putUser(op.name, { password, tags: op.tags });
      } else {
        await api.putUser(op.name, {
          password_hash: op.passwordHash ?? "",
          hashing_algorithm: op.hashingAlgorithm ?? "rabbit_password_hashing_sha256",
          tags: op.tags,
        });
      }
      return;
    }
    case "delete-user":
      await api.deleteUser(op.name);
      return;
    case "put-permission":
      await api.putPermission(op.permission);
      return;
    case "delete-permission":
      await api.deletePermission(op.vhost, op.user);
      return;
    case "put-policy":
      await api.putPolicy(op.policy);
      return;
    case "delete-policy":
      await api.deletePolicy(op.vhost, op.name);
      return;
    case "put-exchange":
      await api.putExchange(op.exchange);
      return;
    case "delete-exchange":
      await api.deleteExchange(op.vhost, op.name);
      return;
    case "put-queue":
      await api.putQueue(op.queue);
      return;
    case "delete-queue":
      await api.deleteQueue(op.vhost, op.name, { ifEmpty: op.ifEmpty });
      return;
    case "put-binding":
      await api.putBinding(op.binding);
      return;
    case "delete-binding":
      await api.deleteBinding(op.binding);
      return;
  }
}
