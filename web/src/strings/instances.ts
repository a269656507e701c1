// Labels of the Instances page: `inst.*`.
// `ko` must have exactly the keys of `en` (a type error otherwise; tests/web/test_strings.py
// checks the same and that both sides use the same `{placeholders}`).

export const en = {
  "nav.instances": "Instances",
  "inst.title": "Instances",
  "inst.memory": "Memory by instance",
  "inst.lastSeen": "Last seen",
  "inst.none": "No instance reported in this time range.",
  "inst.tps": "TPS",
  "inst.avg": "Avg ms",
  "inst.err": "Error rate",
};

export const ko: Record<keyof typeof en, string> = {
  "nav.instances": "인스턴스",
  "inst.title": "인스턴스",
  "inst.memory": "인스턴스별 메모리",
  "inst.lastSeen": "마지막 수신",
  "inst.none": "이 시간 범위에 보고한 인스턴스가 없습니다.",
  "inst.tps": "TPS",
  "inst.avg": "평균 ms",
  "inst.err": "오류율",
};
