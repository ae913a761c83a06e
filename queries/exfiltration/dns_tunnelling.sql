-- ---
-- name: dns_tunnelling
-- title: DNS tunnelling (many long, random-looking names under one domain)
-- description: >
--   Per instance and parent domain (the last two labels), Resolver queries whose names carry data: at
--   least min_unique distinct subdomains with an average leftmost-label length of min_length or more, and
--   a share of digits in those labels of at least min_digit_share (encoded data mixes digits in; words and
--   host names rarely do). Character entropy is approximated by that digit share and the label length.
-- mitre: [T1048.003, T1071.004]
-- severity: high
-- tables: [dnsquery]
-- parameters:
--   min_unique: {type: int, default: 50, description: Distinct subdomains of one parent domain}
--   min_length: {type: int, default: 25, description: Average length of the leftmost label}
--   min_digit_share: {type: float, default: 0.15, description: Share of digits in the leftmost labels}
-- ---
WITH names AS (
  SELECT account, vpc_id, srcids.instance AS instance_id, srcaddr, rtrim(query_name, '.') AS name,
         regexp_extract(rtrim(query_name, '.'), '[^.]+[.][^.]+$') AS parent,
         split_part(rtrim(query_name, '.'), '.', 1) AS label,
         from_iso8601_timestamp(query_timestamp) AS query_time
  FROM dnsquery
  WHERE from_iso8601_timestamp(query_timestamp) BETWEEN :start AND :end
    AND (cardinality(:accounts) = 0 OR account IN (:accounts))
    AND (cardinality(:regions) = 0 OR region IN (:regions))
)
SELECT
  min(query_time) AS first_seen, max(query_time) AS last_seen, account, vpc_id, instance_id,
  max(srcaddr) AS source_ip, parent AS domain, count(DISTINCT name) AS unique_names, count(*) AS queries,
  avg(length(label)) AS avg_label_length,
  CAST(sum(length(regexp_replace(label, '[^0-9]', ''))) AS DOUBLE) / greatest(sum(length(label)), 1) AS digit_share,
  CAST(ARRAY[] AS ARRAY(VARCHAR)) AS eventids
FROM names
WHERE parent IS NOT NULL
GROUP BY account, vpc_id, instance_id, parent
HAVING count(DISTINCT name) >= :min_unique
   AND avg(length(label)) >= :min_length
   AND CAST(sum(length(regexp_replace(label, '[^0-9]', ''))) AS DOUBLE) / greatest(sum(length(label)), 1)
       >= :min_digit_share
ORDER BY first_seen
