-- ---
-- name: new_source_ip_for_principal
-- title: Principal calling from a never-seen-before network
-- description: >
--   For each principal with a stable history in the baseline window, the source networks
--   (IPv4 /24, or the full IPv6 address) it used in the hunt window but never in the
--   baseline. Stolen keys are usually used from somewhere new. A role is compared across
--   its sessions (by the role's ARN); principals that roam over many addresses in the
--   baseline (Lambda functions, AWS-internal callers) are left out, as are AWS service
--   host names, calls from the Lambda runtime (its addresses rotate; the SDK says
--   exec-env/AWS_Lambda) and by default IAM Identity Center sessions (people on the move;
--   their sign-in is checked by the IdP).
-- mitre: [T1078.004]
-- severity: low
-- tables: [cloudtrail]
-- parameters:
--   baseline_start: {type: timestamp, default: start-30d, description: Start of the baseline window (it ends at start)}
--   max_baseline_networks: {type: int, default: 5, description: Principals seen from more networks than this in the baseline roam and are skipped}
--   principal: {type: string, default: null, description: Substring of the principal ARN to keep; null means everyone}
--   include_sso: {type: bool, default: false, description: "Also list IAM Identity Center (SSO) sessions, whose people roam by nature"}
-- ---
WITH calls AS (
  SELECT eventtime, account, region, eventid, eventname, sourceipaddress, useragent,
         coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn) AS actor,
         useridentity.arn AS principal,
         coalesce(regexp_extract(sourceipaddress, '^([0-9]+\.[0-9]+\.[0-9]+)\.[0-9]+$', 1), sourceipaddress) AS network
  FROM cloudtrail
  WHERE from_iso8601_timestamp(eventtime) BETWEEN :baseline_start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (cardinality(:regions) = 0 OR region IN (:regions))
    AND regexp_like(sourceipaddress, '^[0-9.]+$|:')
    AND useridentity.arn IS NOT NULL
),
baseline AS (
  SELECT DISTINCT actor, network FROM calls
  WHERE from_iso8601_timestamp(eventtime) < :start
),
stable AS (
  SELECT actor FROM baseline GROUP BY actor HAVING count(*) <= :max_baseline_networks
)
SELECT c.account, c.actor, c.network, array_agg(DISTINCT c.sourceipaddress) AS source_ips,
       array_agg(DISTINCT c.principal) AS principals,
       count(*) AS events, array_agg(DISTINCT c.eventname) AS event_names,
       min(c.eventtime) AS first_seen, max(c.eventtime) AS last_seen,
       array_agg(c.eventid) AS eventids
FROM calls c
WHERE from_iso8601_timestamp(c.eventtime) >= :start
  AND c.actor IN (SELECT actor FROM stable)
  AND (:principal IS NULL OR strpos(c.principal, :principal) > 0)
  AND (:include_sso OR c.actor NOT LIKE '%/aws-reserved/sso.amazonaws.com/%')
  AND coalesce(c.useragent, '') NOT LIKE '%exec-env/AWS_Lambda%'
  AND NOT EXISTS (SELECT 1 FROM baseline b WHERE b.actor = c.actor AND b.network = c.network)
GROUP BY c.account, c.actor, c.network
ORDER BY first_seen
