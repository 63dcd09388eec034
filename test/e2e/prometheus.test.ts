import type { BridgeProcess } from '../helpers/bridge-process';
import { startBridgeOnNewTopics } from '../helpers/bridge-process';
import type { PrometheusServer } from '../helpers/prometheus';
import { promtoolCheckMetrics, renderChart, startPrometheus } from '../helpers/prometheus';
import { callbackUrl, createRoomBody } from '../helpers/tencent';

// The chart rendered as CI renders its monitoring scenario: release ci in namespace live, so the
// PrometheusRule selects job="ci-tencent-live-kafka-bridge", namespace="live", which is what the
// scrape job below produces (as the ServiceMonitor does in a cluster).
const JOB = 'ci-tencent-live-kafka-bridge';
const NAMESPACE = 'live';

interface Expression {
  where: string;
  expr: string;
}

/** Every PromQL expression of the rendered PrometheusRule and Grafana dashboard. */
function chartExpressions(): { rules: Expression[]; dashboard: Expression[]; groups: unknown[] } {
  const objects = renderChart([
    '--namespace',
    NAMESPACE,
    '-f',
    'helm/tencent-live-kafka-bridge/ci/monitoring-values.yaml',
    '--api-versions',
    'monitoring.coreos.com/v1',
  ]);
  const rule = objects.find((o) => o.kind === 'PrometheusRule') as
    | { spec: { groups: { rules: { alert?: string; record?: string; expr: string }[] }[] } }
    | undefined;
  const dashboardMap = objects.find(
    (o) => o.kind === 'ConfigMap' && (o.metadata as { name: string }).name.endsWith('-dashboard'),
  ) as { data: Record<string, string> } | undefined;
  if (!rule || !dashboardMap) throw new Error('the monitoring scenario renders no rule/dashboard');
  const rules = rule.spec.groups.flatMap((group) =>
    group.rules.map((r) => ({ where: `alert ${r.alert ?? r.record}`, expr: r.expr })),
  );
  const dashboard = JSON.parse(dashboardMap.data['tencent-live-kafka-bridge.json']!) as {
    panels: { title: string; targets?: { refId: string; expr: string }[] }[];
    templating: { list: { name: string; query?: { query: string } }[] };
  };
  const variables = (expr: string): string =>
    expr
      .replaceAll('$namespace', NAMESPACE)
      .replaceAll('$job', JOB)
      .replaceAll('$__rate_interval', '1m')
      .replaceAll('$__interval', '15s')
      .replaceAll('$__range', '5m');
  const panels = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `panel "${panel.title}" ${target.refId}`,
      expr: variables(target.expr),
    })),
  );
  // label_values(<selector>, <label>): the selector must match series carrying the label
  const templating = dashboard.templating.list.flatMap((variable) => {
    const match = /^label_values\((.*), *(\w+)\)$/.exec(variable.query?.query ?? '');
    return match
      ? [
          {
            where: `variable $${variable.name}`,
            expr: `count by (${match[2]}) (${variables(match[1]!)})`,
          },
        ]
      : [];
  });
  return { rules, dashboard: [...panels, ...templating], groups: rule.spec.groups };
}

/**
 * An alert expression compares with a threshold, so on a healthy bridge it is rightly empty.
 * With `bool` after each comparison with a number, it returns 0/1 for every series it looks at:
 * empty then means a metric or a label it names does not exist.
 */
function withBool(expr: string): string {
  return expr.replace(/(==|!=|>=|<=|>|<)(\s*)(?=[-+]?[0-9.])/g, '$1 bool$2');
}

async function post(bridge: BridgeProcess, url: string, body: string, method = 'POST') {
  const response = await fetch(bridge.webhook + url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body }),
  });
  await response.text();
  return response.status;
}

async function valueOf(prometheus: PrometheusServer, expr: string): Promise<number | undefined> {
  const result = await prometheus.query(expr);
  return result[0] === undefined ? undefined : Number(result[0].value[1]);
}

describe('metrics read back through a real Prometheus', () => {
  it('passes promtool, counts accepted and refused callbacks, and feeds every dashboard and alert expression', async () => {
    const { rules, dashboard, groups } = chartExpressions();
    expect(rules.length).toBeGreaterThanOrEqual(7);
    expect(dashboard.length).toBeGreaterThanOrEqual(20);

    const { bridge, topic } = await startBridgeOnNewTopics('e2e-prometheus', { LOG_LEVEL: 'warn' });
    let prometheus: PrometheusServer | undefined;
    try {
      const before = await (await fetch(`${bridge.admin}/metrics`)).text();
      const check = promtoolCheckMetrics(before);
      expect(check.output).toBe('');
      expect(check.ok).toBe(true);

      prometheus = await startPrometheus({
        jobName: JOB,
        targets: [bridge.admin.replace('http://', '')],
        labels: { namespace: NAMESPACE, pod: 'bridge-0' },
        ruleGroups: groups, // Prometheus refuses to start on a rule it cannot parse
      });

      // accepted: three rooms and a before-callback; refused: a wrong token twice, an unknown
      // app, a GET
      for (const room of ['p1', 'p2', 'p3']) {
        expect(await post(bridge, callbackUrl(), JSON.stringify(createRoomBody(room)))).toBe(200);
      }
      const gift = callbackUrl({ command: 'Live.CallbackBeforeSendGift' });
      const giftBody = '{"CallbackCommand":"Live.CallbackBeforeSendGift","RoomId":"p1"}';
      expect(await post(bridge, gift, giftBody)).toBe(200);
      const body = JSON.stringify(createRoomBody('p4'));
      expect(await post(bridge, callbackUrl({ token: 'wrong' }), body)).toBe(401);
      expect(await post(bridge, callbackUrl({ token: 'wrong' }), body)).toBe(401);
      expect(await post(bridge, callbackUrl({ appId: '1499999999' }), body)).toBe(403);
      expect(await post(bridge, callbackUrl(), body, 'GET')).toBe(405);
      const after = await (await fetch(`${bridge.admin}/metrics`)).text();
      expect(promtoolCheckMetrics(after)).toEqual({ ok: true, output: '' });

      const sel = `job="${JOB}", namespace="${NAMESPACE}"`;
      const expected: [string, number][] = [
        // the GET is counted as received too (then refused)
        [`live_bridge_callbacks_received_total{${sel}, command="Live.CallbackAfterCreateRoom"}`, 6],
        [`live_bridge_callbacks_received_total{${sel}, command="Live.CallbackBeforeSendGift"}`, 1],
        [`live_bridge_callbacks_rejected_total{${sel}, reason="signature_mismatch"}`, 2],
        [`live_bridge_callbacks_rejected_total{${sel}, reason="app_unknown"}`, 1],
        [`live_bridge_callbacks_rejected_total{${sel}, reason="method_not_allowed"}`, 1],
        [`live_bridge_callbacks_rejected_total{${sel}, reason="payload_invalid"}`, 0],
        [
          `live_bridge_events_forwarded_total{${sel}, type="com.tencentcloud.live.room.created.v1"}`,
          3,
        ],
        [
          `live_bridge_before_callbacks_total{${sel}, command="Live.CallbackBeforeSendGift", verdict="allow"}`,
          1,
        ],
        [`live_bridge_ready{${sel}}`, 1],
        [`live_bridge_kafka_topic_available{${sel}, topic="${topic}"}`, 1],
      ];
      const deadline = Date.now() + 30_000;
      let seen: (number | undefined)[] = [];
      for (;;) {
        seen = await Promise.all(expected.map(([expr]) => valueOf(prometheus!, expr)));
        if (seen.every((value, i) => value === expected[i]![1]) || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(expected.map(([expr], i) => [expr, seen[i]])).toEqual(expected);

      // Every expression: no PromQL error, and at least one series (rate() needs two scrapes
      // after the traffic, so each gets a few seconds).
      const problems: string[] = [];
      const all = [...dashboard, ...rules.map((rule) => ({ ...rule, expr: withBool(rule.expr) }))];
      for (const { where, expr } of rules) {
        await prometheus
          .query(expr)
          .catch((error: Error) => problems.push(`${where}: ${error.message}`));
      }
      for (const { where, expr } of all) {
        const until = Date.now() + 10_000;
        for (;;) {
          let result: unknown[];
          try {
            result = await prometheus.query(expr);
          } catch (error) {
            problems.push(`${where}: error ${(error as Error).message}\n  ${expr}`);
            break;
          }
          if (result.length > 0) break;
          if (Date.now() > until) {
            problems.push(`${where}: no series\n  ${expr}`);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 500));
        }
      }
      expect(problems).toEqual([]);
      // the rules loaded into Prometheus are the chart's, all healthy
      const loaded = await fetch(`${prometheus.url}/api/v1/rules`).then(
        (r) => r.json() as Promise<{ data: { groups: { rules: { health: string }[] }[] } }>,
      );
      const health = loaded.data.groups.flatMap((group) => group.rules.map((r) => r.health));
      expect(health).toHaveLength(rules.length);
      expect(health.filter((h) => h !== 'ok' && h !== 'unknown')).toEqual([]);
    } finally {
      await prometheus?.stop();
      bridge.signal('SIGTERM');
      expect(await bridge.exited).toBe(0);
    }
  });
});
