"""Value synonyms across languages: 上海 = Shanghai, 金融科技 = fintech, 成长版 = growth.

A book often holds the same value in two spellings (an English file says `Biotech` and `growth`,
a Chinese file `生物科技` and `成长版`). Every value of a vocabulary field has a canonical key
(lower-case English); the parser maps a word in a question to that key, the compiler expands an
equality to every spelling that shares the key (the vocabulary's and the book's own), and a
breakdown groups rows by the key. Distinct things stay distinct: `starter` is not `basic`,
`pharma` is not `biotech`.

Each table line is `canonical: variant | variant | ~variant`. A variant marked `~` is matched
when it is a stored value but is not recognised as a word in a question (too common on its own:
团队, 高, 生物). `key(field, value)` gives the canonical key of any value, falling back to the
value without its generic suffix (`Growth Plan`, `生物科技行业`, `成都市`) and then to the value
lower-cased, so two spellings of an unknown value still meet when they differ only so.
"""

from __future__ import annotations

import re

from store.lang import people

_CITIES = """
shanghai: 上海 | 上海市 | sh
beijing: 北京 | 北京市 | peking | bj
shenzhen: 深圳 | 深圳市 | sz
guangzhou: 广州 | 广州市 | canton | gz
hangzhou: 杭州 | 杭州市 | hz
chengdu: 成都 | 成都市
wuhan: 武汉 | 武汉市
nanjing: 南京 | 南京市 | nanking
suzhou: 苏州 | 苏州市
xian: 西安 | 西安市 | xi'an | xi’an | xi an
chongqing: 重庆 | 重庆市 | chungking
tianjin: 天津 | 天津市
xiamen: 厦门 | 厦门市 | amoy
qingdao: 青岛 | 青岛市 | tsingtao
changsha: 长沙 | 长沙市
hefei: 合肥 | 合肥市
ningbo: 宁波 | 宁波市
dalian: 大连 | 大连市
zhengzhou: 郑州 | 郑州市
jinan: 济南 | 济南市
fuzhou: 福州 | 福州市
kunming: 昆明 | 昆明市
shenyang: 沈阳 | 沈阳市
harbin: 哈尔滨 | 哈尔滨市
changchun: 长春 | 长春市
nanchang: 南昌 | 南昌市
guiyang: 贵阳 | 贵阳市
nanning: 南宁 | 南宁市
haikou: 海口 | 海口市
sanya: 三亚 | 三亚市
lanzhou: 兰州 | 兰州市
xining: 西宁 | 西宁市
yinchuan: 银川 | 银川市
urumqi: 乌鲁木齐 | 乌鲁木齐市 | wulumuqi
lhasa: 拉萨 | 拉萨市
hohhot: 呼和浩特 | 呼和浩特市 | huhehaote
taiyuan: 太原 | 太原市
shijiazhuang: 石家庄 | 石家庄市
wuxi: 无锡 | 无锡市
foshan: 佛山 | 佛山市
dongguan: 东莞 | 东莞市
zhuhai: 珠海 | 珠海市
huizhou: 惠州 | 惠州市
zhongshan: 中山 | 中山市
shantou: 汕头 | 汕头市
wenzhou: 温州 | 温州市
shaoxing: 绍兴 | 绍兴市
jiaxing: 嘉兴 | 嘉兴市
jinhua: 金华 | 金华市
huzhou: 湖州 | 湖州市
changzhou: 常州 | 常州市
nantong: 南通 | 南通市
xuzhou: 徐州 | 徐州市
yangzhou: 扬州 | 扬州市
zhenjiang: 镇江 | 镇江市
yancheng: 盐城 | 盐城市
kunshan: 昆山 | 昆山市
yantai: 烟台 | 烟台市
weifang: 潍坊 | 潍坊市
zibo: 淄博 | 淄博市
linyi: 临沂 | 临沂市
weihai: 威海 | 威海市
quanzhou: 泉州 | 泉州市
tangshan: 唐山 | 唐山市
baoding: 保定 | 保定市
baotou: 包头 | 包头市
luoyang: 洛阳 | 洛阳市
yichang: 宜昌 | 宜昌市
xiangyang: 襄阳 | 襄阳市
zhuzhou: 株洲 | 株洲市
mianyang: 绵阳 | 绵阳市
liuzhou: 柳州 | 柳州市
guilin: 桂林 | 桂林市
wuhu: 芜湖 | 芜湖市
ganzhou: 赣州 | 赣州市
daqing: 大庆 | 大庆市
ordos: 鄂尔多斯 | 鄂尔多斯市
hong kong: 香港 | hk | hongkong | 香港特别行政区
macau: 澳门 | macao
taipei: 台北 | 台北市
kaohsiung: 高雄 | 高雄市
taichung: 台中 | 台中市
tokyo: 东京 | 東京
osaka: 大阪
kyoto: 京都
yokohama: 横滨
nagoya: 名古屋
seoul: 首尔 | 汉城
busan: 釜山
singapore: 新加坡
kuala lumpur: 吉隆坡 | kl
bangkok: 曼谷
jakarta: 雅加达
manila: 马尼拉
ho chi minh city: 胡志明市 | 胡志明 | saigon | hcmc
hanoi: 河内
mumbai: 孟买 | bombay
new delhi: 新德里 | delhi | 德里
bangalore: 班加罗尔 | bengaluru
dubai: 迪拜
abu dhabi: 阿布扎比
riyadh: 利雅得
doha: 多哈
tel aviv: 特拉维夫
istanbul: 伊斯坦布尔
moscow: 莫斯科
london: 伦敦
manchester: 曼彻斯特
edinburgh: 爱丁堡
paris: 巴黎
lyon: 里昂
berlin: 柏林
munich: 慕尼黑 | münchen | muenchen
frankfurt: 法兰克福
hamburg: 汉堡
amsterdam: 阿姆斯特丹
rotterdam: 鹿特丹
brussels: 布鲁塞尔
zurich: 苏黎世 | zürich
geneva: 日内瓦
vienna: 维也纳 | wien
madrid: 马德里
barcelona: 巴塞罗那
milan: 米兰 | milano
rome: 罗马 | roma
stockholm: 斯德哥尔摩
copenhagen: 哥本哈根
oslo: 奥斯陆
helsinki: 赫尔辛基
dublin: 都柏林
lisbon: 里斯本
warsaw: 华沙
prague: 布拉格
new york: 纽约 | nyc | new york city
san francisco: 旧金山 | 三藩市 | sf
los angeles: 洛杉矶 | la
seattle: 西雅图
chicago: 芝加哥
boston: 波士顿
austin: 奥斯汀
washington: 华盛顿 | washington dc | washington d.c.
toronto: 多伦多
vancouver: 温哥华
montreal: 蒙特利尔 | montréal
sydney: 悉尼
melbourne: 墨尔本
auckland: 奥克兰
sao paulo: 圣保罗 | são paulo
mexico city: 墨西哥城
johannesburg: 约翰内斯堡
cairo: 开罗
lagos: 拉各斯
nairobi: 内罗毕
"""

_PROVINCES = """
guangdong: 广东 | 广东省
jiangsu: 江苏 | 江苏省
zhejiang: 浙江 | 浙江省
shandong: 山东 | 山东省
henan: 河南 | 河南省
hebei: 河北 | 河北省
hubei: 湖北 | 湖北省
hunan: 湖南 | 湖南省
sichuan: 四川 | 四川省 | szechuan
fujian: 福建 | 福建省
anhui: 安徽 | 安徽省
jiangxi: 江西 | 江西省
shaanxi: 陕西 | 陕西省
shanxi: 山西 | 山西省
liaoning: 辽宁 | 辽宁省
jilin: 吉林 | 吉林省
heilongjiang: 黑龙江 | 黑龙江省
yunnan: 云南 | 云南省
guizhou: 贵州 | 贵州省
guangxi: 广西 | 广西壮族自治区
hainan: 海南 | 海南省
gansu: 甘肃 | 甘肃省
qinghai: 青海 | 青海省
ningxia: 宁夏 | 宁夏回族自治区
xinjiang: 新疆 | 新疆维吾尔自治区
tibet: 西藏 | 西藏自治区 | xizang
inner mongolia: 内蒙古 | 内蒙古自治区 | nei mongol
taiwan: 台湾 | 台湾省
beijing: 北京 | 北京市
shanghai: 上海 | 上海市
tianjin: 天津 | 天津市
chongqing: 重庆 | 重庆市
hong kong: 香港 | hk
macau: 澳门 | macao
"""

_COUNTRIES = """
china: 中国 | 中国大陆 | 中华人民共和国 | cn | prc | mainland china | p.r. china | chinese
us: 美国 | usa | u.s. | u.s.a. | united states | united states of america | america | american
uk: 英国 | united kingdom | gb | britain | great britain | england | 英格兰 | british
japan: 日本 | jp | japanese
south korea: 韩国 | korea | republic of korea | kr | 南韩 | korean | south korean
singapore: 新加坡 | sg | singaporean
germany: 德国 | de | deutschland | german
france: 法国 | fr | french
italy: 意大利 | it | italian
spain: 西班牙 | es | spanish
netherlands: 荷兰 | holland | the netherlands | nl | dutch
belgium: 比利时
switzerland: 瑞士 | ch | swiss
austria: 奥地利
sweden: 瑞典 | swedish
norway: 挪威
denmark: 丹麦
finland: 芬兰
ireland: 爱尔兰 | irish
portugal: 葡萄牙
poland: 波兰
russia: 俄罗斯 | russian federation
turkey: 土耳其 | türkiye
israel: 以色列
uae: 阿联酋 | united arab emirates | 阿拉伯联合酋长国
saudi arabia: 沙特 | 沙特阿拉伯 | ksa
india: 印度 | in | indian
australia: 澳大利亚 | 澳洲 | au | australian
new zealand: 新西兰 | nz
canada: 加拿大 | ca | canadian
mexico: 墨西哥 | mx | mexican
brazil: 巴西 | br | brazilian
argentina: 阿根廷
chile: 智利
south africa: 南非
egypt: 埃及
nigeria: 尼日利亚
kenya: 肯尼亚
indonesia: 印度尼西亚 | 印尼 | id
malaysia: 马来西亚 | my
thailand: 泰国 | th
vietnam: 越南 | viet nam | vn
philippines: 菲律宾 | ph
"""

_INDUSTRIES = """
fintech: 金融科技 | financial technology | fin-tech | fin tech | 金融技术
finance: 金融 | financial services | financial | 金融服务 | 金融业
banking: 银行 | bank | banks | 银行业
insurance: 保险 | 保险业 | insurer | insurers | 保险公司
insurtech: 保险科技 | insurance technology | insuretech | insur-tech | insur tech
securities: 证券 | 券商 | brokerage | 证券业
asset management: 资产管理 | 资管 | investment management | 基金
ecommerce: 电商 | 电子商务 | e-commerce | online retail | 跨境电商
retail: 零售 | 零售业
consumer goods: 消费品 | 快消 | 快消品 | fmcg | cpg
manufacturing: 制造 | 制造业 | 智能制造
machinery: 机械 | 装备制造 | industrial equipment | 机械制造
logistics: 物流 | 供应链 | supply chain | 货运 | freight | 快递
transportation: 交通运输 | 交通 | 运输 | transport
healthtech: 医疗科技 | health tech | health-tech | healthcare technology | health technology | medtech | med tech | med-tech | medical technology | 医疗技术 | 健康科技 | 医疗健康科技 | digital health | 数字医疗 | 数字健康
healthcare: 医疗 | 医疗健康 | health care | medical | 医疗保健 | 医院 | hospitals
pharma: 制药 | 医药 | pharmaceutical | pharmaceuticals | pharmaceutics | 药企 | 医药制造
biotech: 生物科技 | bio tech | 生物技术 | 生物医药 | biotechnology | bio-tech | life sciences | 生命科学 | ~生物 | ~bio
medical devices: 医疗器械 | medical device | 医疗设备
education: 教育 | 在线教育 | 教育培训 | 培训
edtech: 教育科技 | ed tech | ed-tech | education technology | 教育技术
saas: 软件 | 企业服务 | software | 企业软件
technology: 科技 | 技术 | tech | technolgy | it | 信息技术 | 信息科技
internet: 互联网
gaming: 游戏 | games | video games | 网络游戏
media: 传媒 | 媒体 | entertainment | 文娱 | 影视 | 广电 | 文化传媒 | media & entertainment
publishing: 出版 | 出版业
proptech: 房产科技 | 房地产科技 | property technology | prop tech | prop-tech | 地产科技
real estate: 房地产 | 地产 | realestate | property | properties | 房产 | ~置业
construction: 建筑 | 建筑业 | 建工 | 工程建设
energy: 能源 | 新能源 | clean energy | renewables | renewable energy
cleantech: 清洁科技 | clean tech | clean-tech | 清洁技术 | climate tech | climatetech | 气候科技
oil and gas: 石油 | 石化 | 油气 | 石油化工 | oil & gas | petroleum
utilities: 公用事业 | 电力 | 水务 | utility | ~power
automotive: 汽车 | auto | automobile | automobiles | 汽车制造 | 汽配 | 新能源汽车
telecom: 电信 | 通信 | telecommunications | telecommunication | telco | 运营商
semiconductor: 半导体 | 芯片 | semiconductors | chips | 集成电路
electronics: ~电子 | consumer electronics | 消费电子 | 电子制造
aerospace: 航空航天 | 航天 | aerospace & defense | defense | defence | 军工 | 国防
airlines: 航空公司 | airline | aviation | 民航 | 航空
agriculture: 农业 | 农牧 | farming | 农林牧渔
agritech: 农业科技 | agtech | ag tech | agri-tech | agri tech | agricultural technology | 农业技术
chemicals: 化工 | 化学 | chemical | 化学品 | 化工行业
materials: 材料 | 新材料
mining: 矿业 | 采矿 | 煤炭 | metals and mining
steel: 钢铁 | 冶金 | metals
hospitality: 酒店 | 酒店管理 | hotels | hotel | 住宿 | 酒店业
travel: 旅游 | 出行 | tourism | 旅行 | 文旅
food: 餐饮 | 食品 | food & beverage | food and beverage | f&b | restaurants | 饮料 | 食品饮料
apparel: 服装 | 服饰 | 时尚 | fashion | textiles | 纺织
beauty: 美妆 | 化妆品 | cosmetics | 个护
home: 家居 | 家具 | furniture | home furnishing
sports: 体育 | 运动 | 体育用品
government: 政府 | 政务 | public sector | 公共部门
nonprofit: 非营利 | 公益 | ngo | non-profit | 非营利组织
consulting: 咨询 | 咨询服务 | professional services | 专业服务
marketing: 营销 | 广告 | advertising | 市场营销
martech: 营销科技 | marketing technology | mar tech | mar-tech | 营销技术
adtech: 广告科技 | advertising technology | ad tech | ad-tech | 广告技术
cybersecurity: 网络安全 | 信息安全 | security | cyber security | cyber-security | cyber | infosec | information security | 网安 | 安全科技 | ~安全
devtools: 开发者工具 | developer tools | dev tools | dev-tools | developer tooling | 开发工具 | 开发者平台 | 研发工具
hr: 人力资源 | human resources | 招聘 | recruiting | staffing
legal: 法律 | 律所 | law firm | legal services
legaltech: 法律科技 | legal tech | legal-tech | legal technology | lawtech | 法律技术
environmental: 环保 | ~环境 | environmental services | 节能环保
"""

_PLANS = """
free: 免费版 | free tier | freemium | ~免费
trial: 试用版 | free trial | ~试用
basic: 基础版 | 基本版 | ~基础
starter: 入门版 | 起步版 | ~入门
standard: 标准版 | std | ~标准
growth: 成长版 | ~成长
team: 团队版 | teams | ~团队
business: 商业版 | 商务版 | ~商业
pro: 专业版 | professional | ~专业
premium: 高级版 | 尊享版
advanced: 进阶版 | 增强版
enterprise: 企业版 | ent
ultimate: 旗舰版 | flagship | 至尊版
custom: 定制版 | 私有化版 | private deployment
"""

_PRICE = """
high: 高 | 高敏感 | 非常敏感 | very sensitive | very high | ~h
medium: 中 | 中等 | 一般 | mid | moderate | ~m
low: 低 | 低敏感 | 不敏感 | not sensitive | ~l
"""

_STAGES = """
prospect: 潜在客户 | ~线索 | ~lead
trial: 试用中 | trialing | poc | 试点
negotiation: 谈判中 | 商务谈判 | negotiating
onboarding: 实施中 | 上线中 | 交付中 | implementation | ~实施
customer: 成交客户 | 正式客户 | 付费客户 | ~成交 | ~active
expansion: 增购中 | upsell | ~增购 | ~扩展
renewal: 续约中 | ~renewing
churned: 已流失 | ~流失 | ~lost
"""


# ---- values the product itself writes (enums): how a Chinese reply shows them. The first
# Chinese variant of a line is its label; the others are read back (`canonical`) too.
_HEALTH_BANDS = """
green: 绿色（健康）| 绿色 | 绿灯 | 健康
yellow: 黄色（关注）| 黄色 | 黄灯 | amber
red: 红色（风险）| 红色 | 红灯
"""

_LEVELS = """
high: 高 | 高等
medium: 中 | 中等 | mid
low: 低 | 低等
"""

_NPS_CLASSES = """
promoter: 推荐者 | promoters
passive: 被动者 | 中立者 | passives
detractor: 贬损者 | 批评者 | detractors
"""

_RFM_SEGMENTS = """
champions: 冠军客户
potential loyalist: 潜在忠诚客户
loyal customers: 忠诚客户
promising: 有潜力客户
new customers: 新客户
can't lose them: 不能流失的客户
at risk: 有流失风险
need attention: 需要关注
about to sleep: 即将沉睡
lost: 已流失
hibernating: 休眠客户
others: 其他
"""

# tags, and the tier/status values rules set (also the default rules' names)
_TAGS = """
churn_risk: 流失风险 | churn risk
churn_warning: 流失预警 | churn warning
high_value: 高价值客户 | 高价值 | high value
key_account: 重点客户
standard: 普通客户
vip: 重要客户
"""

_ALERT_STATUSES = """
open: 未处理
acknowledged: 已确认
snoozed: 已暂缓
resolved: 已解决
"""

_ALERT_KINDS = """
alert: 提醒
todo: 待办
"""

_ALERT_ACTIONS = """
opened: 新建
acknowledged: 确认
snoozed: 暂缓
resolved: 解决
reassigned: 转交
woke: 暂缓结束
escalated: 升级
"""

_SHOWN_TABLES: dict[str, str] = {
    "health_band": _HEALTH_BANDS,
    "influence": _LEVELS,
    "severity": _LEVELS,
    "nps_class": _NPS_CLASSES,
    "rfm_segment": _RFM_SEGMENTS,
    "tag": _TAGS,
    "tier": _TAGS,
    "status": _TAGS,
    "rule": _TAGS,
    "alert_status": _ALERT_STATUSES,
    "alert_kind": _ALERT_KINDS,
    "alert_action": _ALERT_ACTIONS,
}


def _table(text: str) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(loud, quiet): canonical -> variants recognised in questions / matched only as values."""
    loud: dict[str, tuple[str, ...]] = {}
    quiet: dict[str, tuple[str, ...]] = {}
    for line in text.strip().splitlines():
        canon, _, rest = line.partition(":")
        words = [w.strip() for w in rest.split("|") if w.strip()]
        canon = canon.strip()
        loud[canon] = loud.get(canon, ()) + tuple(w for w in words if not w.startswith("~"))
        quiet[canon] = quiet.get(canon, ()) + tuple(w[1:] for w in words if w.startswith("~"))
    return loud, quiet


CITIES, _CITIES_Q = _table(_CITIES)
PROVINCES, _PROVINCES_Q = _table(_PROVINCES)
COUNTRIES, _COUNTRIES_Q = _table(_COUNTRIES)
INDUSTRIES, _INDUSTRIES_Q = _table(_INDUSTRIES)
PLANS, _PLANS_Q = _table(_PLANS)
PRICE_SENSITIVITY, _PRICE_Q = _table(_PRICE)
STAGES, _STAGES_Q = _table(_STAGES)
SHOWN: dict[str, dict[str, tuple[str, ...]]] = {k: _table(t)[0] for k, t in _SHOWN_TABLES.items()}
# buying roles are the language layer's (store.lang.people): one table for every door
SHOWN["role"] = {role.lower(): words for role, words in people.ROLE_WORDS.items()}
SHOWN["attitude"] = {att: people.attitude_words(att) for att in people.ATTITUDE_LABELS}

# words recognised in questions (the parser and the interview extractor read these)
BY_FIELD: dict[str, dict[str, tuple[str, ...]]] = {
    "city": CITIES,
    "industry": INDUSTRIES,
    "plan": PLANS,
    "country": COUNTRIES,
    "province": PROVINCES,
    "stage": STAGES,
}
# values that are only matched when stored (plus every loud word)
MATCH_ONLY: dict[str, dict[str, tuple[str, ...]]] = {
    "city": _CITIES_Q,
    "industry": _INDUSTRIES_Q,
    "plan": _PLANS_Q,
    "country": _COUNTRIES_Q,
    "province": _PROVINCES_Q,
    "stage": _STAGES_Q,
    "price_sensitivity": {k: PRICE_SENSITIVITY[k] + v for k, v in _PRICE_Q.items()},
}
# plan words that are ordinary English too: a plan only next to a plan word or when stored
WEAK_PLAN_WORDS = frozenset(
    {"free", "trial", "basic", "standard", "growth", "team", "teams", "business", "premium"}
    | {"advanced", "professional", "custom", "ent", "std"}
)

# vocabulary variants too common to read as the value in a question (unless the book stores them
# or they are the value's own name): "auto" (automotive), "security" (cybersecurity)
COMMON_WORDS: dict[str, frozenset[str]] = {
    "industry": frozenset({"it", "auto", "health", "security", "media", "food", "legal", "travel"}),
}

# generic suffixes a stored value may carry ("Growth plan", "生物科技行业", "成都市")
_SUFFIXES: dict[str, str] = {
    "city": r"(?:\s+city|市|\s+shi)$",
    "province": r"(?:\s+province|省|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$",
    "industry": r"(?:\s+(?:industry|sector|vertical|companies)|行业|产业|领域)$",
    "plan": r"(?:\s+(?:plan|tier|edition|package|subscription|version)|套餐|版本|版|计划)$",
    "country": r"^(?:the\s+)",
    "stage": r"(?:\s+stage|阶段)$",
    "price_sensitivity": r"(?:\s+(?:price\s+)?sensitivity|敏感度?|价格敏感度?)$",
}


def _index(field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for table in (BY_FIELD.get(field, {}), MATCH_ONLY.get(field, {})):
        for canon, variants in table.items():
            out.setdefault(canon, canon)
            for v in variants:
                out.setdefault(v.lower(), canon)
    return out


FIELDS = tuple(dict.fromkeys([*BY_FIELD, *MATCH_ONLY]))
_INDEX = {name: _index(name) for name in FIELDS}


def _clean(value: str) -> str:
    return re.sub(r"\s+", " ", str(value).strip().lower().replace("’", "'"))


def canonical(field: str, value: str) -> str | None:
    """The canonical value for a word in this field's vocabulary, or None."""
    index = _INDEX.get(field)
    if not index or value is None:
        return None
    v = _clean(value)
    hit = index.get(v)
    if hit is None and field in _SUFFIXES:
        stripped = re.sub(_SUFFIXES[field], "", v).strip()
        if stripped and stripped != v:
            hit = index.get(stripped) or (
                index.get(stripped + "版") if field == "plan" and not stripped.isascii() else None
            )
    return hit


def key(field: str, value: str) -> str:
    """The grouping key of any stored value: canonical, or without its suffix, lower-cased."""
    canon = canonical(field, value)
    if canon:
        return canon
    v = _clean(value)
    if field in _SUFFIXES:
        v = re.sub(_SUFFIXES[field], "", v).strip() or v
    return re.sub(r"[\s_\-]+", " ", v)


def variants(field: str, value: str) -> set[str]:
    """Every lower-cased spelling that means the same value (the value itself included)."""
    v = _clean(value)
    out = {v}
    canon = canonical(field, v)
    if canon:
        out.add(canon)
        for table in (BY_FIELD.get(field, {}), MATCH_ONLY.get(field, {})):
            out.update(x.lower() for x in table.get(canon, ()))
    return out


def label(field: str, canon: str, language: str) -> str | None:
    """The vocabulary's own spelling of a canonical value in a language (None if it has none)."""
    if language == "zh":
        for table in (BY_FIELD.get(field, {}), MATCH_ONLY.get(field, {})):
            zh = next((v for v in table.get(canon, ()) if not v.isascii()), None)
            if zh:
                return zh
        return None
    return canon if canon in _INDEX.get(field, {}) else None


def is_zh(value: str) -> bool:
    """Whether a value is written in Chinese."""
    return bool(re.search(r"[\u3400-\u9fff]", str(value)))


def _shown_index(field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for canon, words in SHOWN.get(field, {}).items():
        out.setdefault(canon, canon)
        for w in words:
            out.setdefault(w.lower(), canon)
    return out


_SHOWN_INDEX = {name: _shown_index(name) for name in SHOWN}


def read(field: str, label: str) -> str | None:
    """The stored value a label names (流失预警 → churn_warning, 决策人 → eb), or None."""
    v = _clean(label)
    return _SHOWN_INDEX.get(field, {}).get(v) or _SHOWN_INDEX.get(field, {}).get(
        v.replace(" ", "_")
    )


def shown(field: str, value: object, language: str) -> str:
    """How a reply shows a stored value: in a Chinese reply its Chinese label when the catalogue
    has one (`red` → 红色（风险）, `EB` → 决策人, `churn_warning` → 流失预警, `enterprise` →
    企业版); in an English reply a catalogue code as words (`high_value` → high value); otherwise
    the value as stored."""
    if value is None:
        return ""
    text = str(value)
    if language != "zh":
        # a code the product writes reads as words: high_value → high value, at_risk → at risk
        if "_" in text and text.islower() and text.isascii() and read(field, text) == text:
            return text.replace("_", " ")
        return text
    if is_zh(text):
        return text
    canon = read(field, text)
    if canon is not None:
        return next((w for w in SHOWN[field][canon] if not w.isascii()), text)
    canon = canonical(field, text)
    return (label(field, canon, "zh") if canon else None) or text


# product features as events record them (canonical, lower case) and as people say them; the
# parser matches a feature only when the book's events record it
_FEATURES = """
api: API | 接口 | 开放接口 | api接口 | open api
sso: SSO | 单点登录 | single sign-on | single sign on
reports: 报表 | 报告 | report | reporting | 报表功能
dashboards: 仪表盘 | 看板 | 仪表板 | 数据看板 | dashboard
export: 导出 | 数据导出 | exports | exporting | export功能
integrations: 集成 | 对接 | integration
workflows: 工作流 | 流程 | workflow | 自动化流程
mobile: 移动端 | 手机端 | 移动应用 | mobile app | 手机app | app
"""
FEATURES, _ = _table(_FEATURES)


def feature_words(stored: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Every way to say a feature the events record -> the feature as recorded ("报表" -> reports)."""
    out: dict[str, str] = {}
    for name in stored:
        out.setdefault(name.lower(), name)
        canon = name.lower().rstrip("s") if name.lower() not in FEATURES else name.lower()
        for key_, variants in FEATURES.items():
            if key_ == canon or key_.rstrip("s") == canon:
                for v in (key_, *variants):
                    out.setdefault(v.lower(), name)
    return out
