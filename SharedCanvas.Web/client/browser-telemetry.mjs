// The board page's telemetry pipeline: the OpenTelemetry web SDK with its OTLP/HTTP (JSON) exporters for
// traces and metrics. Bundled by esbuild into wwwroot/lib/browser-telemetry.js (an ES module); the page
// imports it only where the site configures a collector (wwwroot/js/board/telemetry.js says what it records).
//
// Nothing here is registered globally: the page passes every span's parent explicitly (a W3C traceparent),
// so no context manager (zone.js) is needed.

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The span context a W3C traceparent names, or null. */
function spanContextOf(traceparent) {
  const match = TRACEPARENT.exec(traceparent ?? '');
  if (!match) return null;
  return { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16) & 1, isRemote: true };
}

/**
 * Starts exporting to an OTLP/HTTP endpoint (`endpoint` is its base address; /v1/traces and /v1/metrics are
 * added). `headers` go with every request (the dashboard's API key); `attributes` describe this page.
 */
export function start({ endpoint, headers = {}, attributes = {}, exportIntervalMs = 5000 }) {
  const base = endpoint.replace(/\/+$/, '');
  const resource = resourceFromAttributes(attributes);
  const tracerProvider = new WebTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${base}/v1/traces`, headers }), { scheduledDelayMillis: 1000 })],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [new PeriodicExportingMetricReader({
      exporter: new OTLPMetricExporter({ url: `${base}/v1/metrics`, headers }),
      exportIntervalMillis: exportIntervalMs,
      exportTimeoutMillis: Math.min(exportIntervalMs, 30_000),
    })],
  });
  const tracer = tracerProvider.getTracer('SharedCanvas.Board');
  const meter = meterProvider.getMeter('SharedCanvas.Board');

  return {
    meter,

    /**
     * A span: a child of `parent` (a traceparent) or the root of a new trace. `startTime` is Unix
     * milliseconds (or a performance.now() value); `kind` is 'client', 'consumer' or 'internal'.
     */
    startSpan(name, { parent, startTime, attributes: spanAttributes, kind } = {}) {
      const parentContext = spanContextOf(parent);
      const context = parentContext ? trace.setSpanContext(ROOT_CONTEXT, parentContext) : ROOT_CONTEXT;
      const spanKind = kind === 'client' ? SpanKind.CLIENT : kind === 'consumer' ? SpanKind.CONSUMER : SpanKind.INTERNAL;
      return tracer.startSpan(name, { startTime, attributes: spanAttributes, kind: spanKind }, context);
    },

    /** The traceparent of a span, for the operation that continues its trace on the server. */
    traceparent(span) {
      const { traceId, spanId, traceFlags } = span.spanContext();
      return `00-${traceId}-${spanId}-0${traceFlags & 1}`;
    },

    /** Marks a span as failed, with a reason. */
    fail(span, message) {
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    },

    /** Sends what is buffered now (the page is being hidden or left). */
    flush() {
      return Promise.allSettled([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
  };
}
