// Labels of the Topology page: `topo.*`.
// `ko` must have exactly the keys of `en` (a type error otherwise; tests/web/test_strings.py
// checks the same and that both sides use the same `{placeholders}`).

export const en = {
  "nav.topology": "Topology",
  "topo.service": "Application map",
  "topo.instance": "Instance map",
  "topo.hint": "Edges: calls/s · average ms. Click an application to open its dashboard.",
  "topo.legendHealthy": "Healthy",
  "topo.legendWarn": "Degraded",
  "topo.legendBad": "Failing",
  "topo.database": "Database",
  "topo.external": "External",
  "topo.empty": "No calls between services in this time range.",
};

export const ko: Record<keyof typeof en, string> = {
  "nav.topology": "토폴로지",
  "topo.service": "애플리케이션 맵",
  "topo.instance": "인스턴스 맵",
  "topo.hint": "연결선: 초당 호출 수 · 평균 ms. 애플리케이션을 클릭하면 대시보드가 열립니다.",
  "topo.legendHealthy": "정상",
  "topo.legendWarn": "주의",
  "topo.legendBad": "장애",
  "topo.database": "데이터베이스",
  "topo.external": "외부",
  "topo.empty": "이 시간 범위에 서비스 간 호출이 없습니다.",
};
