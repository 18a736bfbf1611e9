-- wrk script for tests/bench/kernel_bench.py: after the run, print the
-- latency percentiles wrk --latency does not (p99.9) as "fo-pct P MICROSECONDS"
-- lines, and the requests and errors as "fo-done" (parsed there).
done = function(summary, latency, requests)
	for _, p in ipairs({50, 90, 99, 99.9}) do
		io.write(string.format("fo-pct %g %d\n", p, latency:percentile(p)))
	end
	local e = summary.errors
	io.write(string.format("fo-done %d %d %d %d %d %d %d\n", summary.requests,
		summary.duration, e.connect, e.read, e.write, e.status, e.timeout))
end
