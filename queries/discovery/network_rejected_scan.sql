-- ---
-- name: network_rejected_scan
-- title: One source rejected on many ports or addresses in an hour
-- description: >
--   A source address whose flows security groups or network ACLs rejected on at least min_ports distinct
--   destination ports or min_targets distinct destination addresses within one hour: a port or host scan,
--   from the internet or (worse) from inside the VPC.
-- mitre: [T1046]
-- severity: low
-- tables: [vpcflow]
-- parameters:
--   min_ports: {type: int, default: 20, description: Distinct rejected destination ports that make a scan}
--   min_targets: {type: int, default: 20, description: Distinct rejected destination addresses that make a scan}
-- ---
SELECT
  min(from_unixtime(start)) AS first_seen, max(from_unixtime("end")) AS last_seen, account, region,
  srcaddr AS source_ip, date_trunc('hour', from_unixtime(start)) AS hour,
  count(DISTINCT dstport) AS ports, count(DISTINCT dstaddr) AS targets, count(*) AS flows,
  CAST(ARRAY[] AS ARRAY(VARCHAR)) AS eventids
FROM vpcflow
WHERE from_unixtime(start) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND action = 'REJECT'
GROUP BY account, region, srcaddr, date_trunc('hour', from_unixtime(start))
HAVING count(DISTINCT dstport) >= :min_ports OR count(DISTINCT dstaddr) >= :min_targets
ORDER BY first_seen
