// Labels of the Channels page: `ch.*`.
// `ko` must have exactly the keys of `en` (a type error otherwise; tests/web/test_strings.py
// checks the same and that both sides use the same `{placeholders}`).

export const en = {
  "nav.channels": "Channels",
  "ch.title": "Channels",
  "ch.hint": "Secrets are never shown: only which are set.",
  "ch.none": "No channel yet.",
  "ch.routes": "Routes",
  "ch.noRoutes": "No route yet: alerts are evaluated but not sent.",
  "ch.name": "Name",
  "ch.type": "Type",
  "ch.enabled": "Enabled",
  "ch.secrets": "Secrets set",
  "ch.yes": "yes",
  "ch.no": "no",
  "ch.matchers": "Matchers",
  "ch.all": "every alert",
  "ch.groupBy": "Group by",
  "ch.timers": "Wait / interval / repeat",
  "ch.create": "New channel",
  "ch.config": "Config (JSON)",
  "ch.save": "Create",
};

export const ko: Record<keyof typeof en, string> = {
  "nav.channels": "채널",
  "ch.title": "채널",
  "ch.hint": "비밀값은 보이지 않으며, 설정 여부만 표시됩니다.",
  "ch.none": "아직 채널이 없습니다.",
  "ch.routes": "라우트",
  "ch.noRoutes": "아직 라우트가 없습니다: 알림은 평가되지만 전송되지 않습니다.",
  "ch.name": "이름",
  "ch.type": "유형",
  "ch.enabled": "사용",
  "ch.secrets": "설정된 비밀값",
  "ch.yes": "예",
  "ch.no": "아니요",
  "ch.matchers": "매처",
  "ch.all": "모든 알림",
  "ch.groupBy": "묶음 기준",
  "ch.timers": "대기 / 간격 / 반복",
  "ch.create": "새 채널",
  "ch.config": "설정 (JSON)",
  "ch.save": "만들기",
};
