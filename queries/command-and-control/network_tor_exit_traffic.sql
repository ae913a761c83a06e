-- ---
-- name: network_tor_exit_traffic
-- title: Accepted traffic to or from Tor exit relays
-- description: >
--   Accepted flows between an interface and an address of the Tor Project's exit list (a snapshot the
--   package ships, with its date): an instance reaching out through Tor, or Tor users reaching a service.
--   One row per interface, Tor address and direction.
-- mitre: [T1090.003]
-- severity: medium
-- tables: [vpcflow]
-- parameters:
--   tor_exits: {type: "list[string]", default: "indicators:tor_exits", description: Tor exit relay addresses}
-- ---
SELECT
  min(from_unixtime(start)) AS first_seen, max(from_unixtime("end")) AS last_seen, account, region,
  interface_id, max(instance_id) AS instance_id,
  CASE WHEN dstaddr IN (:tor_exits) THEN dstaddr ELSE srcaddr END AS remote_ip,
  CASE WHEN dstaddr IN (:tor_exits) THEN 'to tor' ELSE 'from tor' END AS direction,
  count(*) AS flows, sum(bytes) AS bytes, sum(packets) AS packets,
  CAST(ARRAY[] AS ARRAY(VARCHAR)) AS eventids
FROM vpcflow
WHERE from_unixtime(start) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND action = 'ACCEPT'
  AND (dstaddr IN (:tor_exits) OR srcaddr IN (:tor_exits))
GROUP BY account, region, interface_id, 7, 8
ORDER BY first_seen
