-- Run one of the kit's .pkt files for a bounded time, then print pktgen's
-- port counters and quit (README, "Load testing with pktgen"). Settings
-- come from the environment:
--
--   FO_PG_PKT      the .pkt to load (default scripts/pktgen/synflood.pkt)
--   FO_PG_SECONDS  how long to send (default 10)
--   FO_PG_RATE     percent of the line rate (default: the .pkt's, 100)
--   FO_PG_DST_MAC  fanout's MAC, for synflood.pkt (pcap files carry theirs)
--   FO_PG_QUIT     0: stay at the prompt afterwards (default 1: quit)
--
--   FO_PG_PKT=scripts/pktgen/synflood.pkt FO_PG_SECONDS=30 \
--       pktgen [EAL args] -- -P -m "[1:2].0" -f scripts/pktgen/run.lua

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port = "0"
local pkt = os.getenv("FO_PG_PKT") or "scripts/pktgen/synflood.pkt"
local seconds = tonumber(os.getenv("FO_PG_SECONDS") or "10")
local rate = os.getenv("FO_PG_RATE")
local dst_mac = os.getenv("FO_PG_DST_MAC")

if seconds == nil or seconds <= 0 or seconds > 86400 then
    error("FO_PG_SECONDS: want 1..86400 seconds")
end

pktgen.load(pkt)
if rate then
    pktgen.set(port, "rate", tonumber(rate))
end
if dst_mac then
    pktgen.set_mac(port, "dst", dst_mac)
    pktgen.range.dst_mac(port, "start", dst_mac)
    pktgen.range.dst_mac(port, "min", dst_mac)
    pktgen.range.dst_mac(port, "max", dst_mac)
end

pktgen.clr()
pktgen.start(port)
pktgen.sleep(seconds)
pktgen.stop(port)
-- let the last answers from fanout arrive
pktgen.delay(500)

local s = pktgen.portStats(port, "port")[tonumber(port)]
printf("fanout-kit: %s for %d s: opackets %d obytes %d ipackets %d ierrors %d imissed %d " ..
    "oerrors %d (%.0f pps sent, %.0f received)\n", pkt, seconds, s.opackets, s.obytes,
    s.ipackets, s.ierrors, s.imissed, s.oerrors, s.opackets / seconds, s.ipackets / seconds)

if (os.getenv("FO_PG_QUIT") or "1") ~= "0" then
    pktgen.quit()
end
