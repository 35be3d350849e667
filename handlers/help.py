"""What the bot can do, in the asker's language."""

from __future__ import annotations

from handlers.messages import IncomingMessage, Reply

HELP_EN = """I keep your customer profiles and answer questions about them. Try:
• show churn-risk accounts
• which accounts have not logged in for 15 days?
• accounts renewing in the next 30 days
• top 10 accounts by ARR
• how many accounts per industry
• fintech accounts with ARR over 50k
• my accounts
• tell me about <account>
• tag <account> vip · set <account> industry to logistics — edit a profile
• interview <account> — walk through a customer interview
• if no login for 15 days then tag churn_warning — write a rule
• alerts — your open alerts and to-dos; ack 92 · snooze 92 3d because … · resolve 92 · reassign 92 to bob
• digest — today's summary
Files: admins send a CSV or Excel file to import it."""

HELP_ZH = """我帮你维护客户画像，并回答关于客户的问题。可以这样问：
• 有流失风险的客户
• 哪些客户超过15天没登录
• 未来30天内合同到期的客户
• 年合同额最高的10个客户
• 各行业有多少客户
• 金融科技行业年合同额超过5万的客户
• 我的客户
• <客户名>的客户画像
• 给 <客户名> 打标签 重点客户 · 把 <客户名> 的行业改为 物流 —— 修改画像
• 访谈 <客户名> —— 逐步完成一次客户访谈
• 如果15天没登录则打标签 流失预警 —— 新建规则
• 提醒 —— 我的待办和告警；确认 92 · 暂缓 92 3天 原因：… · 解决 92 · 把 92 转给 bob
• 日报 —— 今日摘要
文件：管理员发送 CSV 或 Excel 文件即可导入。"""

# WeCom self-built apps never receive file messages (see the README): say how to import instead
WECOM_FILES_EN = (
    "On WeCom a spreadsheet sent to this app may never reach me (self-built apps get no file "
    "messages): an admin can import with `profilebot import FILE` or the push API "
    "(POST /api/v1/accounts)."
)
WECOM_FILES_ZH = (
    "企业微信的自建应用收不到文件消息，发来的表格可能到不了我：管理员可以用 `profilebot import 文件` "
    "或推送接口（POST /api/v1/accounts）导入。"
)

HELP_WORDS = {"help", "?", "/help", "帮助", "使用帮助", "怎么用", "你能做什么", "help me"}


def is_help(text: str) -> bool:
    return text.strip().lower().rstrip("?？!！。.") in HELP_WORDS or text.strip() in ("?", "？")


def help_reply(msg: IncomingMessage) -> Reply:
    """The help text in the asker's language."""
    zh = msg.zh
    text = HELP_ZH if zh else HELP_EN
    if msg.platform == "wecom":
        text += "\n" + (WECOM_FILES_ZH if zh else WECOM_FILES_EN)
    return Reply(
        text=text,
        title="profilebot 能做什么" if zh else "What profilebot can do",
        kind="help",
        language=msg.language,
    )
