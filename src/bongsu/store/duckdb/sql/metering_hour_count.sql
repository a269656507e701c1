-- The hours of the window with any stored row, container or node.
SELECT count(DISTINCT hour_us) FROM (
    SELECT hour_us FROM metering_containers
    WHERE tenant = $tenant AND hour_us >= $start AND hour_us < $end
      AND ($cluster IS NULL OR cluster = $cluster)
    UNION ALL
    SELECT hour_us FROM metering_nodes
    WHERE tenant = $tenant AND hour_us >= $start AND hour_us < $end
      AND ($cluster IS NULL OR cluster = $cluster)
)
