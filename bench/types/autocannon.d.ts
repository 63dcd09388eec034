/** The part of autocannon 9's API the harness uses (the package ships no types). */
declare module 'autocannon' {
  namespace autocannon {
    interface AutocannonRequest {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      setupRequest?: (request: AutocannonRequest, context: object) => AutocannonRequest;
    }

    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
      p99_9: number;
      p99_99: number;
      totalCount?: number;
      sent?: number;
    }

    interface AutocannonOptions {
      url: string;
      connections?: number;
      duration?: number;
      timeout?: number;
      pipelining?: number;
      method?: string;
      headers?: Record<string, string>;
      requests?: AutocannonRequest[];
      verifyBody?: (body: string) => boolean;
      excludeErrorStats?: boolean;
    }

    interface AutocannonResult {
      duration: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      resets: number;
      '2xx': number;
      statusCodeStats: Record<string, { count: number }>;
      latency: Histogram;
      requests: Histogram;
      throughput: Histogram;
    }

    interface Instance extends PromiseLike<AutocannonResult> {
      stop(): void;
    }
  }
  function autocannon(options: autocannon.AutocannonOptions): autocannon.Instance;
  export = autocannon;
}
