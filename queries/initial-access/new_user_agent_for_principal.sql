-- ---
-- name: new_user_agent_for_principal
-- title: Principal using a never-seen-before client
-- description: >
--   For each principal with a stable history in the baseline window, clients (user
--   agents with version numbers removed, so upgrades do not count) it used in the hunt
--   window but never in the baseline: a new tool (an attack framework, a scanner, another
--   SDK) in the hands of a known identity. A role is compared across its sessions; AWS
--   services calling on a principal's behalf, and by default IAM Identity Center
--   sessions, are left out.
-- mitre: [T1078.004]
-- severity: low
-- tables: [cloudtrail]
-- parameters:
--   baseline_start: {type: timestamp, default: start-30d, description: Start of the baseline window (it ends at start)}
--   max_baseline_clients: {type: int, default: 5, description: Principals seen with more clients than this in the baseline are skipped}
--   principal: {type: string, default: null, description: Substring of the principal ARN to keep; null means everyone}
--   include_sso: {type: bool, default: false, description: "Also list IAM Identity Center (SSO) sessions, whose people roam by nature"}
-- ---
WITH calls AS (
  SELECT eventtime, account, eventid, eventname, useragent,
         coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn) AS actor,
         useridentity.arn AS principal,
         regexp_replace(coalesce(useragent, ''), '[0-9]+(\.[0-9]+)+|[0-9a-f]{8}-[0-9a-f-]{27}', '') AS client
  FROM cloudtrail
  WHERE from_iso8601_timestamp(eventtime) BETWEEN :baseline_start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (cardinality(:regions) = 0 OR region IN (:regions))
    AND useridentity.arn IS NOT NULL
    AND useridentity.invokedby IS NULL
    AND coalesce(useragent, '') NOT LIKE '%.amazonaws.com'
    AND coalesce(useragent, '') <> 'AWS Internal'
),
baseline AS (
  SELECT DISTINCT actor, client FROM calls
  WHERE from_iso8601_timestamp(eventtime) < :start
),
stable AS (
  SELECT actor FROM baseline GROUP BY actor HAVING count(*) <= :max_baseline_clients
)
SELECT c.account, c.actor, c.client, array_agg(DISTINCT c.useragent) AS user_agents,
       array_agg(DISTINCT c.principal) AS principals,
       count(*) AS events, array_agg(DISTINCT c.eventname) AS event_names,
       min(c.eventtime) AS first_seen, max(c.eventtime) AS last_seen,
       array_agg(c.eventid) AS eventids
FROM calls c
WHERE from_iso8601_timestamp(c.eventtime) >= :start
  AND c.actor IN (SELECT actor FROM stable)
  AND (:principal IS NULL OR strpos(c.principal, :principal) > 0)
  AND (:include_sso OR c.actor NOT LIKE '%/aws-reserved/sso.amazonaws.com/%')
  AND NOT EXISTS (SELECT 1 FROM baseline b WHERE b.actor = c.actor AND b.client = c.client)
GROUP BY c.account, c.actor, c.client
ORDER BY first_seen
