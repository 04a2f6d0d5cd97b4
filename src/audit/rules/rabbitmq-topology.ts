/** RabbitMQ topology rules: bindings and exchanges that cannot deliver, and everything piled into "/". */
import { compilePattern } from "../effective.js";
import { declarationIndex } from "./declaration-index.js";
import { defsOf, exchangeExists, exchangeRef, queueRef, routesSomewhere } from "./helpers.js";
import type { Rule, RuleHit } from "./rule.js";

export const bindingDangling: Rule = {
  id: "rmq-binding-dangling",
  title: "Binding refers to a missing exchange or queue",
  severity: "medium",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Importing these definitions fails or skips the binding, and the flow it was meant to create does not exist: messages published to the source route nowhere.",
  fix: "declare the missing {kind} {name} in vhost {vhost}, or remove the binding",
  check(ctx) {
    const defs = defsOf(ctx);
    if (!defs) return [];
    const out: RuleHit[] = [];
    for (const b of defs.bindings) {
      const missing: [string, string][] = [];
      if (!exchangeExists(defs, b.vhost, b.source)) missing.push(["exchange", b.source]);
      const destOk =
        b.destinationType === "queue"
          ? declarationIndex(defs).queue(b.vhost, b.destination) !== undefined
          : exchangeExists(defs, b.vhost, b.destination);
      if (!destOk) missing.push([b.destinationType, b.destination]);
      for (const [kind, name] of missing)
        out.push({
          resource: `vhost ${b.vhost} binding ${b.source} -> ${b.destination}`,
          location: { kind: "binding", name: `${b.vhost}/${b.source}->${b.destination}` },
          message: `binding ${b.source} -> ${b.destination} (key "${b.routingKey}"): ${kind} ${name} is not declared`,
          params: { kind, name, vhost: b.vhost },
        });
    }
    return out;
  },
};

export const exchangeNoBindings: Rule = {
  id: "rmq-exchange-routes-nowhere",
  title: "Exchange has no bindings and no alternate exchange",
  severity: "medium",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Every message published to it is dropped as unroutable; the publisher's confirm still succeeds unless it sets mandatory and handles basic.return.",
  fix: "bind a queue to {exchange}, or declare it with alternate-exchange={exchange}.unrouted (bound to a queue) to catch strays",
  check(ctx) {
    const defs = defsOf(ctx);
    if (!defs) return [];
    return defs.exchanges
      .filter((e) => e.name !== "" && !e.name.startsWith("amq.") && !e.internal)
      .filter((e) => !routesSomewhere(defs, e.vhost, e.name, undefined))
      .map((e) => ({
        ...exchangeRef(e),
        message: `exchange ${e.name} (${e.type}) routes to no queue`,
        params: { exchange: e.name },
      }));
  },
};

export const alternateExchangeMissing: Rule = {
  id: "rmq-alternate-exchange-missing",
  title: "Alternate exchange does not exist",
  severity: "high",
  category: "message-loss",
  broker: "rabbitmq",
  liveOnly: false,
  why: "Unroutable messages are meant to go to the alternate exchange; since it is not declared they are dropped instead.",
  fix: "rabbitmqadmin -V {vhost} declare exchange name={ae} type=fanout durable=true  # and bind a queue to it",
  check(ctx) {
    const defs = defsOf(ctx);
    if (!defs) return [];
    const out: RuleHit[] = [];
    for (const e of defs.exchanges) {
      const ae = e.arguments["alternate-exchange"];
      const fromPolicy = defs.policies.find(
        (p) =>
          !p.operator &&
          p.vhost === e.vhost &&
          typeof p.definition["alternate-exchange"] === "string" &&
          (compilePattern(p.pattern)?.test(e.name) ?? false),
      );
      const name =
        typeof ae === "string" ? ae : (fromPolicy?.definition["alternate-exchange"] as string | undefined);
      if (name !== undefined && !exchangeExists(defs, e.vhost, name))
        out.push({
          ...exchangeRef(e),
          message: `exchange ${e.name}: alternate-exchange "${name}" is not declared`,
          params: { vhost: e.vhost, ae: name },
        });
    }
    return out;
  },
};

export const defaultVhostUsed: Rule = {
  id: "rmq-default-vhost-used",
  title: "Application queues in the default vhost",
  severity: "info",
  category: "operations",
  broker: "rabbitmq",
  liveOnly: false,
  why: "The default vhost is shared by every tool and tutorial that connects without one; permissions and limits cannot separate applications that live there.",
  fix: "rabbitmqctl add_vhost {app}; move the application's queues there and grant its user permissions only on it",
  check(ctx) {
    const defs = defsOf(ctx);
    const qs = (defs?.queues ?? []).filter(
      (x) => x.vhost === "/" && !x.exclusive && !x.name.startsWith("amq."),
    );
    if (qs.length === 0) return [];
    return [
      {
        ...queueRef({ vhost: "/", name: "/" }, "vhost"),
        resource: "vhost /",
        message: `${qs.length} queue(s) live in the default vhost "/"`,
        params: { app: "<app>" },
      },
    ];
  },
};

export const rabbitmqTopologyRules: Rule[] = [
  bindingDangling,
  exchangeNoBindings,
  alternateExchangeMissing,
  defaultVhostUsed,
];
