-- ---
-- name: cross_account_assume_role_chain
-- title: New cross-account AssumeRole paths and chains
-- description: >
--   AssumeRole calls by a user or role session of one account into a role of another
--   account, on a path (calling identity, counted across a role's sessions; target role;
--   source network) never taken in the baseline window: how an intruder hops through an
--   organization, including a stolen pipeline key replaying the pipeline's usual hop from
--   a new place. The caller's account logs the call with the caller's identity, the
--   target's account logs it as AWSAccount; both are listed. A caller of type AssumedRole
--   makes the hop part of a chain.
-- mitre: [T1550.001, T1078.004]
-- severity: medium
-- tables: [cloudtrail]
-- parameters:
--   baseline_start: {type: timestamp, default: start-30d, description: Start of the baseline window of known paths (it ends at start)}
-- ---
WITH hops AS (
  SELECT eventtime, account, eventid, useridentity.type AS caller_type,
         coalesce(useridentity.sessioncontext.sessionissuer.arn, useridentity.arn, useridentity.principalid) AS caller,
         coalesce(regexp_extract(sourceipaddress, '^([0-9]+\.[0-9]+\.[0-9]+)\.[0-9]+$', 1), sourceipaddress) AS network,
         useridentity.accountid AS source_account, sourceipaddress,
         json_extract_scalar(requestparameters, '$.roleArn') AS role_arn,
         split_part(json_extract_scalar(requestparameters, '$.roleArn'), ':', 5) AS target_account
  FROM cloudtrail
  WHERE from_iso8601_timestamp(eventtime) BETWEEN :baseline_start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (cardinality(:regions) = 0 OR region IN (:regions))
    AND eventsource = 'sts.amazonaws.com'
    AND eventname = 'AssumeRole'
    AND useridentity.type IN ('IAMUser', 'AssumedRole', 'AWSAccount')
    AND errorcode IS NULL
)
SELECT h.account, h.source_account, h.caller, h.caller_type, h.role_arn, h.target_account, h.network,
       count(*) AS hops, array_agg(DISTINCT h.sourceipaddress) AS source_ips,
       min(h.eventtime) AS first_seen, max(h.eventtime) AS last_seen,
       array_agg(h.eventid) AS eventids
FROM hops h
WHERE from_iso8601_timestamp(h.eventtime) >= :start
  AND h.target_account <> h.source_account
  AND NOT EXISTS (
    SELECT 1 FROM hops b
    WHERE b.caller = h.caller AND b.role_arn = h.role_arn AND b.network = h.network
      AND from_iso8601_timestamp(b.eventtime) < :start
  )
GROUP BY h.account, h.source_account, h.caller, h.caller_type, h.role_arn, h.target_account, h.network
ORDER BY first_seen
