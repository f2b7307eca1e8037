"""The programme's vocabulary in one place: every coded value with its Chinese and English label.

The i18n catalogue registers each of these as ``vocab.<group>.<code>``, so screens, exports and
validation messages all speak the same words (DESIGN.md's glossary).
"""
from __future__ import annotations

from types import MappingProxyType

# group -> {code: (zh, en)}; order is display order.
_GROUPS: dict[str, dict[str, tuple[str, str]]] = {
    "direction": {
        "cadre_to_enterprise": ("机关干部到非公企业挂职", "Cadre → enterprise"),
        "talent_to_government": ("非公企业人才到党群部门挂职", "Talent → government"),
    },
    "direction_short": {
        "cadre_to_enterprise": ("干部→企业", "Cadre → enterprise"),
        "talent_to_government": ("人才→政府", "Talent → government"),
    },
    "role": {
        "counsellor": ("辅导员", "Counsellor"),
        "publicist": ("宣传员", "Publicist"),
        "coordinator": ("协调员", "Coordinator"),
        "info_officer": ("信息员", "Information officer"),
        "learning": ("学习政府工作方法", "Learning how government works"),
        "party_practice": ("党建管理实践", "Party-building management practice"),
        "bridge": ("桥梁纽带", "Bridge between enterprise and government"),
    },
    # The district's ten streets and towns (stored by their Chinese names), in the order the programme lists them.
    "street": {
        "长寿路街道": ("长寿路街道", "Changshou Road"),
        "曹杨新村街道": ("曹杨新村街道", "Caoyang Xincun"),
        "长风新村街道": ("长风新村街道", "Changfeng Xincun"),
        "宜川路街道": ("宜川路街道", "Yichuan Road"),
        "甘泉路街道": ("甘泉路街道", "Ganquan Road"),
        "石泉路街道": ("石泉路街道", "Shiquan Road"),
        "真如镇街道": ("真如镇街道", "Zhenru Town"),
        "万里街道": ("万里街道", "Wanli"),
        "长征镇": ("长征镇", "Changzheng Town"),
        "桃浦镇": ("桃浦镇", "Taopu Town"),
    },
    "participant_status": {
        "planned": ("拟派", "Planned"),
        "active": ("在岗", "Active"),
        "completed": ("期满", "Completed"),
        "withdrawn": ("中止", "Withdrawn"),
    },
    "gender": {
        "male": ("男", "Male"),
        "female": ("女", "Female"),
    },
    "political_status": {
        "cpc_member": ("中共党员", "CPC member"),
        "probationary": ("中共预备党员", "Probationary CPC member"),
        "league_member": ("共青团员", "Communist Youth League member"),
        "democratic_party": ("民主党派", "Democratic party member"),
        "masses": ("群众", "No party affiliation"),
    },
    "unit_kind": {
        "government_department": ("政府部门", "Government department"),
        "party_org": ("党群组织", "Party or mass organisation"),
        "enterprise": ("非公企业", "Non-public enterprise"),
        "social_org": ("社会组织", "Social organisation"),
        "street_town": ("街道镇", "Street or town"),
    },
    "week_state": {
        "not_submitted": ("未提交", "Not submitted"),
        "submitted": ("已提交", "Submitted"),
        "approved": ("已通过", "Approved"),
        "returned": ("已退回", "Returned"),
    },
    "feedback_category": {
        "party_building": ("党建工作", "Party building"),
        "staff_sentiment": ("职工思想动态", "Staff sentiment"),
        "production": ("生产经营", "Production and operation"),
        "project": ("项目建设", "Project construction"),
        "policy": ("政策需求", "Policy needs"),
        "new_issue": ("新情况新问题", "New situations and problems"),
        "other": ("其他", "Other"),
    },
    "urgency": {
        "urgent": ("紧急", "Urgent"),
        "normal": ("一般", "Normal"),
    },
    "feedback_status": {
        "submitted": ("已提交", "Submitted"),
        "accepted": ("已受理", "Accepted"),
        "in_progress": ("办理中", "In progress"),
        "answered": ("已答复", "Answered"),
        "closed": ("已办结", "Closed"),
        "closed_unresolved": ("办结未解决", "Closed unresolved"),
    },
    "feedback_step": {
        "raise": ("提交", "Raise"),
        "accept": ("受理", "Accept"),
        "transfer": ("转办", "Transfer"),
        "extend": ("申请延期", "Extension"),
        "ask": ("征询补充", "Ask for information"),
        "reply": ("补充说明", "Reply with information"),
        "answer": ("答复", "Answer"),
        "evaluate": ("评价", "Evaluate"),
        "send_back": ("退回重办", "Send back"),
        "escalate": ("提级督办", "Escalate"),
        "close_unresolved": ("办结未解决", "Close unresolved"),
    },
    "evaluation": {
        "satisfied": ("满意", "Satisfied"),
        "basically_satisfied": ("基本满意", "Basically satisfied"),
        "unsatisfied": ("不满意", "Unsatisfied"),
    },
    "practice_status": {
        "draft": ("草稿", "Draft"),
        "reviewed": ("已审核", "Reviewed"),
        "promoted": ("全区推广", "Promoted district-wide"),
    },
    "holiday_kind": {
        "holiday": ("放假", "Holiday"),
        "workday": ("调休上班", "Make-up workday"),
    },
    # The stint lifecycle (secondment.agreements, stint, leave, assessment).
    "agreement_status": {
        "draft": ("草稿", "Draft"),
        "agreed": ("已确认", "Agreed"),
        "superseded": ("已被修订", "Superseded"),
    },
    "party": {
        "home": ("派出单位", "Home unit"),
        "host": ("挂职单位", "Host unit"),
        "org": ("区委组织部", "Organisation department"),
    },
    "objective_status": {
        "not_started": ("未开始", "Not started"),
        "on_track": ("正常推进", "On track"),
        "at_risk": ("有风险", "At risk"),
        "done": ("已完成", "Done"),
    },
    "declaration": {
        "integrity": ("廉洁承诺", "Integrity pledge"),
        "conflict": ("利益回避", "Conflict of interest"),
        "confidentiality": ("保密承诺", "Confidentiality"),
    },
    "checkin_status": {
        "draft": ("草稿", "Draft"),
        "submitted": ("已提交", "Submitted"),
        "acknowledged": ("已阅", "Acknowledged"),
    },
    "leave_kind": {
        "personal": ("事假", "Personal leave"),
        "sick": ("病假", "Sick leave"),
        "annual": ("年休假", "Annual leave"),
        "family": ("探亲假", "Home leave"),
        "other": ("其他", "Other"),
    },
    "leave_approver": {
        "host": ("挂职单位审批", "Host unit approves"),
        "org": ("区委组织部审批", "District organisation department approves"),
        "higher": ("报上级组织部门审批", "Referred to the higher organisation department"),
    },
    "leave_status": {
        "pending": ("待审批", "Pending"),
        "approved": ("已批准", "Approved"),
        "rejected": ("未批准", "Not approved"),
        "cancelled": ("已撤回", "Cancelled"),
    },
    "appraisal_dimension": {
        "de": ("德", "Integrity"),
        "neng": ("能", "Ability"),
        "qin": ("勤", "Diligence"),
        "ji": ("绩", "Achievement"),
        "lian": ("廉", "Probity"),
    },
    "appraisal_grade": {
        "excellent": ("好", "Very good"),
        "good": ("较好", "Good"),
        "fair": ("一般", "Fair"),
        "poor": ("较差", "Poor"),
    },
    "conclusion": {
        "excellent": ("优秀", "Excellent"),
        "competent": ("称职", "Competent"),
        "basically_competent": ("基本称职", "Basically competent"),
        "not_competent": ("不称职", "Not competent"),
    },
    "assessment_stage": {
        "not_started": ("未开始", "Not started"),
        "self": ("个人总结已交", "Self-assessment in"),
        "host": ("挂职单位已鉴定", "Host appraisal in"),
        "home": ("派出单位已签署意见", "Home unit's view in"),
        "concluded": ("已作出考核结论", "Concluded"),
    },
    "return_outcome": {
        "promoted": ("提拔", "Promoted"),
        "retained": ("留用", "Retained"),
        "transferred": ("交流", "Transferred"),
        "back_to_enterprise": ("回企业", "Back to the enterprise"),
    },
    "app_role": {
        "admin": ("系统管理员", "Administrator"),
        "reviewer": ("组织部审核人", "Organisation-department reviewer"),
        "secondee": ("挂职人员", "Secondee"),
        "liaison": ("部门联络员", "Department liaison"),
        "viewer": ("领导", "Leader (read-only)"),
    },
}

GROUPS = MappingProxyType({g: MappingProxyType(v) for g, v in _GROUPS.items()})

DIRECTIONS = tuple(_GROUPS["direction"])
CADRE, TALENT = DIRECTIONS
CADRE_ROLES = ("counsellor", "publicist", "coordinator", "info_officer")
TALENT_CATEGORIES = ("learning", "party_practice", "bridge")
ROLES_BY_DIRECTION = MappingProxyType({CADRE: CADRE_ROLES, TALENT: TALENT_CATEGORIES})
ROLES = CADRE_ROLES + TALENT_CATEGORIES
PARTICIPANT_STATUSES = tuple(_GROUPS["participant_status"])
GENDERS = tuple(_GROUPS["gender"])
POLITICAL_STATUSES = tuple(_GROUPS["political_status"])
UNIT_KINDS = tuple(_GROUPS["unit_kind"])
# Units that can receive feedback (departments in the closed loop).
DEPARTMENT_KINDS = ("government_department", "party_org", "street_town")
WEEK_STATES = tuple(_GROUPS["week_state"])
FEEDBACK_CATEGORIES = tuple(_GROUPS["feedback_category"])
URGENCIES = tuple(_GROUPS["urgency"])
FEEDBACK_STATUSES = tuple(_GROUPS["feedback_status"])
FEEDBACK_STEPS = tuple(_GROUPS["feedback_step"])
EVALUATIONS = tuple(_GROUPS["evaluation"])
PRACTICE_STATUSES = tuple(_GROUPS["practice_status"])
APP_ROLES = tuple(_GROUPS["app_role"])
HOLIDAY_KINDS = tuple(_GROUPS["holiday_kind"])

AGREEMENT_STATUSES = tuple(_GROUPS["agreement_status"])
PARTIES = tuple(_GROUPS["party"])
OBJECTIVE_STATUSES = tuple(_GROUPS["objective_status"])
DECLARATIONS = tuple(_GROUPS["declaration"])
CHECKIN_STATUSES = tuple(_GROUPS["checkin_status"])
LEAVE_KINDS = tuple(_GROUPS["leave_kind"])
LEAVE_APPROVERS = tuple(_GROUPS["leave_approver"])
LEAVE_STATUSES = tuple(_GROUPS["leave_status"])
APPRAISAL_DIMENSIONS = tuple(_GROUPS["appraisal_dimension"])
APPRAISAL_GRADES = tuple(_GROUPS["appraisal_grade"])
CONCLUSIONS = tuple(_GROUPS["conclusion"])
ASSESSMENT_STAGES = tuple(_GROUPS["assessment_stage"])
RETURN_OUTCOMES = tuple(_GROUPS["return_outcome"])

OPEN_FEEDBACK_STATUSES = ("submitted", "accepted", "in_progress")
FINAL_FEEDBACK_STATUSES = ("closed", "closed_unresolved")

# The closed loop: (step, from_status) -> to_status. Anything not listed is refused.
# "raise" creates an item (no from-status). An "unsatisfied" evaluation is recorded as
# "send_back" (退回重办), which returns the item to its department.
FEEDBACK_TRANSITIONS: MappingProxyType = MappingProxyType({
    ("accept", "submitted"): "accepted",
    ("transfer", "submitted"): "submitted",
    ("transfer", "accepted"): "submitted",
    ("transfer", "in_progress"): "submitted",
    ("extend", "accepted"): "in_progress",
    ("extend", "in_progress"): "in_progress",
    # The department asks the secondee for more information (征询补充) and the secondee replies (补充说明): the item
    # stays where it is, its time limit running; ``feedback.question_open_sql`` says when a question waits.
    ("ask", "accepted"): "accepted",
    ("ask", "in_progress"): "in_progress",
    ("reply", "accepted"): "accepted",
    ("reply", "in_progress"): "in_progress",
    ("answer", "accepted"): "answered",
    ("answer", "in_progress"): "answered",
    ("evaluate", "answered"): "closed",
    ("send_back", "answered"): "in_progress",
    ("escalate", "submitted"): "submitted",
    ("escalate", "accepted"): "accepted",
    ("escalate", "in_progress"): "in_progress",
    ("escalate", "answered"): "answered",
    ("close_unresolved", "submitted"): "closed_unresolved",
    ("close_unresolved", "accepted"): "closed_unresolved",
    ("close_unresolved", "in_progress"): "closed_unresolved",
    ("close_unresolved", "answered"): "closed_unresolved",
})

# Default answer time limits in working days, per urgency (configurable in meta).
DEFAULT_TIME_LIMITS = MappingProxyType({"urgent": 3, "normal": 15})
ESCALATE_AFTER_TRANSFERS = 3
ESCALATE_AFTER_SEND_BACKS = 2

# Ten streets and towns of Putuo District.
STREETS = tuple(_GROUPS["street"])


def label(group: str, code: str | None, lang: str = "zh") -> str:
    """The label of a coded value; an unknown code is shown as itself rather than hidden."""
    if code is None:
        return ""
    pair = _GROUPS.get(group, {}).get(code)
    if pair is None:
        return str(code)
    return pair[0] if lang == "zh" else pair[1]


def options(group: str) -> tuple[str, ...]:
    return tuple(_GROUPS[group])


def next_status(step: str, status: str | None) -> str | None:
    """Where ``step`` takes an item in ``status``; None when the loop does not allow it."""
    return FEEDBACK_TRANSITIONS.get((step, status))


def direction_of_role(role: str) -> str | None:
    for direction, roles in ROLES_BY_DIRECTION.items():
        if role in roles:
            return direction
    return None
