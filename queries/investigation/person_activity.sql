-- ---
-- name: person_activity
-- title: Each person's activity across accounts
-- description: >
--   One row per person and the way the records name them: the sourceIdentity of a session (set by
--   the IdP or the first caller, kept across chained roles), the Identity Center user a call was
--   made for (onBehalfOf.userId), the session name of an IAM Identity Center role session
--   (AWSReservedSSO_<permission set>_<hash>/<user name>), or the subject of a SAML or web-identity
--   federation; one row per account they acted in, with the roles and APIs they used, first and
--   last call, and errors. The event ids are listed when one person is asked (everyone's would be
--   every SSO call of the window). Role chains without a sourceIdentity are followed by the entity
--   graph and triage, not here.
-- mitre: [T1078.004]
-- severity: info
-- tables: [cloudtrail]
-- parameters:
--   person: {type: string, default: null, description: "One person (user name, email, sourceIdentity or Identity Center user id), matched case-insensitively; null means everyone"}
-- ---
WITH attributed AS (
  SELECT
    CASE
      WHEN useridentity.sessioncontext.sourceidentity IS NOT NULL THEN useridentity.sessioncontext.sourceidentity
      WHEN useridentity.onbehalfof.userid IS NOT NULL THEN useridentity.onbehalfof.userid
      WHEN strpos(useridentity.arn, ':assumed-role/AWSReservedSSO_') > 0
        THEN regexp_extract(useridentity.arn, '[^/]+$')
      WHEN useridentity.type IN ('SAMLUser', 'WebIdentityUser') THEN useridentity.username
    END AS person,
    CASE
      WHEN useridentity.sessioncontext.sourceidentity IS NOT NULL THEN 'sourceIdentity'
      WHEN useridentity.onbehalfof.userid IS NOT NULL THEN 'onBehalfOf'
      WHEN strpos(useridentity.arn, ':assumed-role/AWSReservedSSO_') > 0 THEN 'sso session name'
      WHEN useridentity.type = 'SAMLUser' THEN 'SAML subject'
      WHEN useridentity.type = 'WebIdentityUser' THEN 'web identity subject'
    END AS attributed_by,
    account, eventtime, eventid, errorcode,
    coalesce(useridentity.sessioncontext.sessionissuer.username, useridentity.type) AS role,
    replace(eventsource, '.amazonaws.com', '') || ':' || eventname AS api
  FROM cloudtrail
  WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (cardinality(:regions) = 0 OR region IN (:regions))
)
SELECT person, attributed_by, account,
       array_sort(array_agg(DISTINCT role)) AS roles,
       array_sort(array_agg(DISTINCT api)) AS apis,
       min(eventtime) AS first_seen, max(eventtime) AS last_seen,
       count(*) AS events, count_if(errorcode IS NOT NULL) AS errors,
       CASE WHEN :person IS NULL THEN CAST(ARRAY[] AS ARRAY(VARCHAR))
            ELSE array_agg(eventid) END AS eventids
FROM attributed
WHERE person IS NOT NULL
  AND (:person IS NULL OR lower(person) = lower(:person))
GROUP BY person, attributed_by, account
ORDER BY person, min(eventtime), account
