-- ---
-- name: role_bucket_reads
-- title: S3 buckets each named role reads
-- description: >
--   Successful object reads and listings (GetObject, SelectObjectContent, ListObjects, ListObjectsV2,
--   ListObjectVersions: S3 data events) by sessions of the named roles, one row per role and bucket
--   with the reads, distinct objects, and the first and last read: what a role can reach in practice.
--   The roles are required (none named: no rows), as every role's reads are the whole trail's S3
--   data; the exposure paths name the roles of instances with exploitable critical CVEs.
-- mitre: [T1530]
-- severity: info
-- tables: [cloudtrail]
-- parameters:
--   roles: {type: "list[string]", default: [], description: Role ARNs whose reads to list (the issuer ARN of their sessions); required}
-- ---
SELECT useridentity.sessioncontext.sessionissuer.arn AS role_arn,
       useridentity.sessioncontext.sessionissuer.username AS role_name,
       split_part(useridentity.sessioncontext.sessionissuer.arn, ':', 5) AS account,
       json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
       count(DISTINCT eventid) AS reads,
       count(DISTINCT json_extract_scalar(requestparameters, '$.key')) AS objects,
       min(eventtime) AS first_seen, max(eventtime) AS last_seen,
       array_agg(DISTINCT eventname) AS actions,
       array_agg(eventid) AS eventids
FROM cloudtrail
WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
  AND (cardinality(:accounts) = 0 OR account IN (:accounts))
  AND (cardinality(:regions) = 0 OR region IN (:regions))
  AND eventsource = 's3.amazonaws.com'
  AND eventname IN ('GetObject', 'SelectObjectContent', 'ListObjects', 'ListObjectsV2', 'ListObjectVersions')
  AND errorcode IS NULL
  AND useridentity.type = 'AssumedRole'
  AND useridentity.sessioncontext.sessionissuer.arn IN (:roles)
GROUP BY useridentity.sessioncontext.sessionissuer.arn, useridentity.sessioncontext.sessionissuer.username,
         json_extract_scalar(requestparameters, '$.bucketName')
ORDER BY reads DESC
