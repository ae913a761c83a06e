-- ---
-- name: network_new_destination_network
-- title: First contact with a public network an account never reached before
-- description: >
--   Connections instances opened (ephemeral source port to a service port) to a public /16 network that no
--   interface of the account reached in the baseline before the window: the first contact with a new
--   destination. The hunt works on /16 networks because SQL has no offline country or ASN data; triage
--   and the entity graph add each remote address's country (geoip2fast, shipped offline).
-- mitre: [T1071, T1496]
-- severity: low
-- tables: [vpcflow]
-- parameters:
--   baseline_start: {type: timestamp, default: start-14d, description: Start of the baseline}
-- ---
WITH opened AS (
  SELECT account, region, interface_id, instance_id, dstaddr, dstport, bytes, from_unixtime(start) AS flow_time,
         regexp_extract(dstaddr, '^[0-9]+[.][0-9]+') AS network
  FROM vpcflow
  WHERE from_unixtime(start) BETWEEN :baseline_start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND action = 'ACCEPT'
    AND srcport >= 32768 AND dstport < 32768
    AND NOT regexp_like(dstaddr, '^(10[.]|192[.]168[.]|172[.](1[6-9]|2[0-9]|3[01])[.]|127[.]|169[.]254[.])')
    AND regexp_like(dstaddr, '^[0-9]+[.][0-9]+[.][0-9]+[.][0-9]+$')
),
known AS (
  SELECT DISTINCT account, network FROM opened WHERE flow_time < :start
)
SELECT
  min(o.flow_time) AS first_seen, max(o.flow_time) AS last_seen, o.account, max(o.region) AS region,
  o.network || '.0.0/16' AS network, array_join(array_agg(DISTINCT o.dstaddr), ',') AS remote_ips,
  array_join(array_agg(DISTINCT o.interface_id), ',') AS interfaces,
  array_join(array_agg(DISTINCT o.instance_id), ',') AS instances, count(*) AS flows, sum(o.bytes) AS bytes,
  CAST(ARRAY[] AS ARRAY(VARCHAR)) AS eventids
FROM opened AS o
LEFT JOIN known AS k ON k.account = o.account AND k.network = o.network
WHERE o.flow_time >= :start AND k.network IS NULL
  AND (cardinality(:regions) = 0 OR o.region IN (:regions))
GROUP BY o.account, o.network
ORDER BY first_seen
