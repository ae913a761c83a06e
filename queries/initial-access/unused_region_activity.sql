-- ---
-- name: unused_region_activity
-- title: Activity in regions the organization does not use
-- description: >
--   Calls made by people (not AWS services) in regions outside the organization's
--   footprint: the used_regions list, or when it is empty the regions with any activity in
--   the baseline window before start. Attackers launch miners and hide resources where
--   nobody looks.
-- mitre: [T1535]
-- severity: medium
-- tables: [cloudtrail]
-- parameters:
--   used_regions: {type: "list[string]", default: [], description: Regions in use; empty means learn them from the baseline window}
--   baseline_start: {type: timestamp, default: start-30d, description: Start of the baseline window that learns the used regions (it ends at start)}
--   min_baseline_events: {type: int, default: 10, description: Baseline events a region needs to count as used}
-- ---
WITH used AS (
  SELECT region_name FROM UNNEST(CAST(:used_regions AS array(varchar))) AS t(region_name)
  UNION
  SELECT awsregion FROM cloudtrail
  WHERE cardinality(:used_regions) = 0
    AND from_iso8601_timestamp(eventtime) BETWEEN :baseline_start AND :start
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  GROUP BY awsregion
  HAVING count(*) >= :min_baseline_events
)
SELECT account, awsregion AS region, useridentity.arn AS principal,
       count(*) AS events, array_agg(DISTINCT eventname) AS event_names,
       min(eventtime) AS first_seen, max(eventtime) AS last_seen,
       array_agg(eventid) AS eventids
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND useridentity.type IN ('IAMUser', 'AssumedRole', 'Root', 'FederatedUser')
  AND useridentity.invokedby IS NULL
  AND awsregion NOT IN (SELECT region_name FROM used)
  AND eventsource NOT IN ('sts.amazonaws.com', 'signin.amazonaws.com', 'health.amazonaws.com')
GROUP BY account, awsregion, useridentity.arn
ORDER BY events DESC
