"""Benchmark suite of articleqa: scale corpus generator, latency/throughput/memory figures, the quick run."""
