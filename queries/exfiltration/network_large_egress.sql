-- ---
-- name: network_large_egress
-- title: An interface sends far more to the internet in an hour than it used to
-- description: >
--   Bytes an interface sent to public addresses per hour, against the same interface's busiest hour in
--   the baseline before the window: an hour above both min_bytes and factor times that baseline (or above
--   min_bytes with no baseline at all) is flagged. Egress is an accepted flow from the interface to a
--   public address (flow-direction where the format has it, else a private source address).
-- mitre: [T1048, T1030]
-- severity: medium
-- tables: [vpcflow]
-- parameters:
--   min_bytes: {type: int, default: 1000000000, description: Bytes in one hour below which nothing is flagged}
--   factor: {type: float, default: 10.0, description: Times the interface's busiest baseline hour}
--   baseline_start: {type: timestamp, default: start-14d, description: Start of the baseline}
-- ---
WITH egress AS (
  SELECT account, region, interface_id, instance_id, bytes, from_unixtime(start) AS flow_time
  FROM vpcflow
  WHERE from_unixtime(start) BETWEEN :baseline_start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (cardinality(:regions) = 0 OR region IN (:regions))
    AND action = 'ACCEPT'
    AND coalesce(flow_direction = 'egress',
                 regexp_like(srcaddr, '^(10[.]|192[.]168[.]|172[.](1[6-9]|2[0-9]|3[01])[.])'))
    AND NOT regexp_like(dstaddr, '^(10[.]|192[.]168[.]|172[.](1[6-9]|2[0-9]|3[01])[.]|127[.]|169[.]254[.])')
),
hourly AS (
  SELECT account, region, interface_id, max(instance_id) AS instance_id, date_trunc('hour', flow_time) AS hour,
         sum(bytes) AS bytes
  FROM egress
  GROUP BY account, region, interface_id, date_trunc('hour', flow_time)
),
baseline AS (
  SELECT account, interface_id, max(bytes) AS busiest_hour
  FROM hourly
  WHERE hour < :start
  GROUP BY account, interface_id
)
SELECT
  h.hour AS first_seen, h.hour + INTERVAL '1' HOUR AS last_seen, h.account, h.region, h.interface_id,
  h.instance_id, h.bytes, b.busiest_hour AS baseline_bytes, CAST(ARRAY[] AS ARRAY(VARCHAR)) AS eventids
FROM hourly AS h
LEFT JOIN baseline AS b ON b.account = h.account AND b.interface_id = h.interface_id
WHERE h.hour >= date_trunc('hour', :start)
  AND h.bytes >= :min_bytes
  AND (b.busiest_hour IS NULL OR h.bytes > :factor * b.busiest_hour)
ORDER BY first_seen
