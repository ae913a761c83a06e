-- ---
-- name: network_mining_pool_traffic
-- title: Instance traffic to cryptocurrency mining pools
-- description: >
--   Accepted flows from an instance to an address a mining pool's name resolved to (Resolver query logs
--   joined to VPC Flow Logs), or to a public address on a stratum port. One row per interface, remote
--   address and port, with the pool name the instance looked up, bytes and packets. The pool names
--   (Falco, Sigma) and stratum ports are lists the package ships, bound as array parameters.
-- mitre: [T1496]
-- severity: high
-- tables: [vpcflow, dnsquery]
-- references:
--   - https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-ec2.html
-- parameters:
--   pool_domains: {type: "list[string]", default: "indicators:mining_pools", description: Mining pool host names (a name or its parent matches)}
--   stratum_ports: {type: "list[string]", default: "indicators:stratum_ports", description: TCP ports pools serve stratum on}
-- ---
WITH lookups AS (
  SELECT DISTINCT account, rtrim(query_name, '.') AS domain, a.rdata AS ip
  FROM dnsquery
  CROSS JOIN UNNEST(answers) AS a
  WHERE from_iso8601_timestamp(query_timestamp) BETWEEN :start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (rtrim(query_name, '.') IN (:pool_domains)
         OR regexp_replace(rtrim(query_name, '.'), '^[^.]+[.]', '') IN (:pool_domains))
),
flows AS (
  SELECT account, region, interface_id, instance_id, srcaddr, dstaddr, srcport, dstport, bytes, packets,
         from_unixtime(start) AS flow_time
  FROM vpcflow
  WHERE from_unixtime(start) BETWEEN :start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (cardinality(:regions) = 0 OR region IN (:regions))
    AND action = 'ACCEPT'
)
SELECT
  min(f.flow_time) AS first_seen, max(f.flow_time) AS last_seen, f.account, f.region, f.interface_id,
  max(f.instance_id) AS instance_id, max(f.srcaddr) AS local_ip, f.dstaddr AS remote_ip, f.dstport AS remote_port,
  max(l.domain) AS domain, count(*) AS flows, sum(f.bytes) AS bytes, sum(f.packets) AS packets,
  CAST(ARRAY[] AS ARRAY(VARCHAR)) AS eventids
FROM flows AS f
LEFT JOIN lookups AS l ON l.account = f.account AND l.ip = f.dstaddr
WHERE l.ip IS NOT NULL
   OR (CAST(f.dstport AS VARCHAR) IN (:stratum_ports) AND f.srcport >= 1024
       AND NOT regexp_like(f.dstaddr, '^(10[.]|192[.]168[.]|172[.](1[6-9]|2[0-9]|3[01])[.]|127[.]|169[.]254[.])'))
GROUP BY f.account, f.region, f.interface_id, f.dstaddr, f.dstport
ORDER BY first_seen
