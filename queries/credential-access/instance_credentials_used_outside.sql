-- ---
-- name: instance_credentials_used_outside
-- title: EC2 instance credentials used from outside their instance
-- description: >
--   Calls signed with an instance profile's session (session name = the instance id, or
--   ec2RoleDelivery set) from a public address, not through a VPC endpoint, where the
--   session uses several addresses or an address that people (IAM users, root, other
--   role sessions) also call from: credentials taken from the instance metadata service
--   and replayed on an attacker's machine. An instance's egress address is not a laptop's.
-- mitre: [T1552.005, T1078.004]
-- severity: high
-- tables: [cloudtrail]
-- parameters:
--   min_addresses: {type: int, default: 2, description: Distinct source addresses one instance session must use to be listed on that ground alone}
-- ---
WITH instance_calls AS (
  SELECT eventtime, account, eventid, eventname, sourceipaddress,
         useridentity.accesskeyid AS access_key, useridentity.arn AS principal
  FROM cloudtrail
  WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (cardinality(:regions) = 0 OR region IN (:regions))
    AND useridentity.type = 'AssumedRole'
    AND (regexp_like(useridentity.principalid, ':i-[0-9a-f]{8,17}$')
         OR useridentity.sessioncontext.ec2roledelivery IS NOT NULL)
    AND regexp_like(sourceipaddress, '^[0-9.]+$|:')
    AND vpcendpointid IS NULL
),
people_addresses AS (
  SELECT DISTINCT sourceipaddress
  FROM cloudtrail
  WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (cardinality(:regions) = 0 OR region IN (:regions))
    AND (useridentity.type IN ('IAMUser', 'Root', 'FederatedUser')
         OR (useridentity.type = 'AssumedRole'
             AND NOT regexp_like(coalesce(useridentity.principalid, ''), ':i-[0-9a-f]{8,17}$')))
    AND regexp_like(sourceipaddress, '^[0-9.]+$|:')
)
SELECT i.account, i.principal, i.access_key, count(*) AS events,
       count(DISTINCT i.sourceipaddress) AS addresses, array_agg(DISTINCT i.sourceipaddress) AS source_ips,
       count(p.sourceipaddress) AS events_from_people_addresses,
       array_agg(DISTINCT i.eventname) AS event_names,
       min(i.eventtime) AS first_seen, max(i.eventtime) AS last_seen,
       array_agg(i.eventid) AS eventids
FROM instance_calls i
LEFT JOIN people_addresses p ON p.sourceipaddress = i.sourceipaddress
GROUP BY i.account, i.principal, i.access_key
HAVING count(DISTINCT i.sourceipaddress) >= :min_addresses OR count(p.sourceipaddress) > 0
ORDER BY addresses DESC
