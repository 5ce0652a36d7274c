"""Chinese first in every ``--help``: each command's and option's Chinese text, put before the
English when the commands are registered.  A command or option missing here fails
``tests/cli/test_chinese_first.py``; an option whose own help already starts in Chinese is
left as it is."""

from __future__ import annotations

import inspect

import click

COMMANDS = {
    "cards": "为花名册中每一行合格的居民制作签名卡片（PDF，每张A4十张卡），并写出逐行报告。",
    "checkpoint": "检查点扫码：USB扫码枪每扫一张卡，屏幕显示大字结论（查验体温亮码通行 / 检查体温、充分核验后方可通行 / 待转码后方可通行；无效的卡：不得通行）。",
    "desk": "打开办公桌：在自己的浏览器里用 passgen，每件事一个页面，只在这台电脑上（不发到任何地方）。",
    "demo": "用演示密钥把随附的示例花名册完整走一遍（演示密钥公开，不能用于真实卡片）。",
    "keys": "签名密钥和信任列表。",
    "keys generate": "为本机构生成新的签名密钥（私钥加密保存，另写公钥文件）。",
    "keys show": "显示密钥或信任列表中的 kid、机构代码和有效期（从不显示私钥）。",
    "keys withdraw": "撤回本办公室的一把密钥（丢失、被盗或提前停用）：以后导出的吊销名单都会写上它，检查点加载后，这把密钥签发的卡一律不得通行。请先用新密钥补发这些卡。",
    "keys trust": "用密钥文件、公钥文件或其他信任列表合成检查点使用的信任列表。",
    "ledger": "制卡登记册：发过哪些卡、给了哪个社区、哪些已吊销（不存姓名和身份证号）。",
    "ledger add-key": "换用新签名密钥前运行：让新密钥也能打开登记册中的居民假名。",
    "ledger list": "按条件列出已发的卡，最早的在前。",
    "ledger recover": "补完或撤销因死机、断电而中断的制卡批次（每个批次开始时也会自动做）。",
    "ledger show": "按编号显示一张卡，或按身份证号（--id）显示此人的所有卡。",
    "posters": "为点位表中每一行印制海报（宣传海报或检查点海报），A4 到 A2。",
    "revocations": "给检查点用的签名吊销名单。",
    "revocations export": "写出本机构已吊销且未过期的卡片的签名名单。",
    "reissue": "补办挂失一步完成：在花名册里按姓名或身份证号找到居民，吊销他还有效的卡，印出新卡。之后请导出新的吊销名单。",
    "revoke": "按编号吊销卡片（如 1A2B-3C4D-5E6F-7081），之后请导出新的吊销名单。",
    "roster": "花名册：制卡前先检查。",
    "roster check": "只检查花名册并写出逐行报告，不制卡。",
    "roster template": "写出一份空白花名册：表头正确、身份证号列为文本、带下拉选项和逐列说明。",
    "rules": "共用的颜色规则：查看全部条款，或解释某位居民为什么是这个颜色。",
    "rules explain": "解释一位居民的颜色：事实、适用的每一条款及其原文、转码和结果。",
    "rules show": "列出每一条款及其原文、地区名单和规则版本。",
    "verifier-page": "写出一个在手机上离线核验卡片的网页（HTML 文件）：用手机打开，允许使用摄像头，对准卡上的二维码即可。",
    "page-fingerprint": "在电脑上算出一个核验页面文件的指纹（不靠页面自己的脚本，改过的页面骗不了它），和办公室公布的指纹核对。",
    "verify": "核验文件中的卡片：PDF、照片或扫描件、每行一个二维码内容的文本文件，或 - 表示标准输入。",
}

OPTIONS = {  # options several commands share
    "--key": "机构签名私钥（旁边须有 KEY.pub.json），口令取自 PASSGEN_KEY_PASSPHRASE 或提示输入。",
    "--as-of": "评定/签发日期 YYYY-MM-DD（默认今天，上海时间）。",
    "--community": "“社区”一栏为空的行使用的社区名称。",
    "--columns": "本办公室的列对应文件（JSON，如 {\"身体状况\": \"症状\", \"序号2\": \"不使用\"}），办公桌里选好的就存在这里。",
    "--rules": "规则文件（默认：随 passgen 发布的共用规则）。",
    "--ledger": "制卡登记册（SQLite 文件）。",
    "--max-rows": "行数超过此数的文件拒绝读取。",
    "--max-mb": "大于此兆字节数的文件拒绝读取。",
    "--trust": "信任列表（passgen keys trust 生成）。",
    "--revoked": "签名吊销名单（passgen revocations export 生成），可给多份。",
    "--revoked-max-age": "吊销名单超过此小时数时提醒。",
    "--allow-demo": "允许信任列表中有公开的演示密钥（仅供演示：任何人都能用它签发卡片）。",
    "--json": "每个结果输出一行 JSON。",
    "--force": "已存在时覆盖。",
    "--template": "版式：随附版式的名称，或自己的 .toml 版式文件路径。",
    "--hotline": "印在卡背或海报上的咨询电话（默认取版式中的）；海报：--venue 和点位表中“咨询电话”为空的行用它。",
}

OVERRIDES = {  # where a shared option means something of its own
    "cards --out": "卡片PDF和报告写入的文件夹（每个批次用自己的文件夹）。",
    "cards --issuer": "密钥应属于的机构代码（须与 KEY.pub.json 一致）。",
    "cards --simplex": "只印正面；默认每页正面后跟着为长边双面打印镜像排好的背面。",
    "cards --sheets-per-volume": "每满这么多张纸开始一个新的PDF（每个社区各自成套）。",
    "cards --ledger": "制卡登记册：记录每一张卡和判定它所依据的事实；居民的颜色按登记册里他的上一张卡和这些事实判定（“上次颜色”只在登记册没有他的卡时才用，或比登记册更差时并用）；同一居民的新卡会吊销他比新卡“宽”的旧卡（颜色更好或有效期更长）。",
    "cards --jobs": "生成二维码的工作进程数；多少都得到相同的PDF。",
    "checkpoint --log": "把每次扫码追加到这个CSV：时间、编号、结论、颜色（从不记姓名和身份证号）。",
    "checkpoint --at": "按这个时间判断每次扫码（测试用；默认为扫码时的时间）。",
    "demo --out": "演示密钥、信任列表、示例花名册、卡片PDF和报告写入的文件夹。",
    "keys generate --out": "要写出的私钥文件（加密的 PKCS#8 PEM，权限 0600），公钥写到 OUT.pub.json。",
    "keys generate --issuer": "发证机构代码，最多16个字符。",
    "keys generate --not-before": "密钥可签发的第一天（默认今天）。",
    "keys generate --not-after": "密钥可签发的最后一天（默认 --not-before 之后一年）。",
    "keys trust --out": "要写出的信任列表（passgen-trust/1 JSON）。",
    "keys trust --rotation": "同一办公室换了新密钥：允许一个签发机构代码对应几把密钥。",
    "ledger list --colour": "只列这个颜色的卡。",
    "ledger list --from": "签发日期不早于 YYYY-MM-DD。",
    "ledger list --to": "签发日期不晚于 YYYY-MM-DD。",
    "ledger list --batch": "只列这个批次（按显示的编号）。",
    "ledger list --community": "只列这个社区。",
    "posters --out": "海报PDF和报告写入的文件夹。",
    "posters --kind": "海报种类。campaign：扫码申领健康码的宣传海报；checkpoint：检查点说明每种颜色怎么办的海报。",
    "posters --size": "纸张大小（竖放），版式随之缩放。",
    "posters --venue": "不用点位表，只印一张：场所名称。",
    "posters --community": "与 --venue 一起用：社区。",
    "posters --qr-content": "与 --venue 一起用：二维码的内容（默认取版式中的链接）。",
    "posters --pages-per-volume": "每满这么多张海报开始一个新的PDF。",
    "revocations export --out": "要写出的吊销名单（JSON，带签名）。",
    "revocations export --at": "生成时间（默认现在）；此前已过期的卡不列入。",
    "revocations export --allow-new-ledger": "登记册里没有这把密钥签发的卡（新办公室）时仍然导出；检查点会因此忘掉以前吊销的卡。",
    "revocations export --allow-drop": "仍然导出会去掉以前名单中吊销过、尚未过期的卡的名单。",
    "revoke --reason": "吊销原因（记入登记册）。",
    "reissue --find": "居民的姓名，或身份证号（完整的、卡上脱敏的，或最后几位）。",
    "reissue --row": "找到几位居民时，选哪一位：他的行号。",
    "reissue --reason": "原因（记入登记册），如：卡片遗失。",
    "reissue --out": "新卡 PDF 和报告写到这个文件夹。",
    "reissue --as-of": "新卡的签发日期（默认今天）。",
    "keys withdraw KID": "要撤回的密钥编号（passgen keys show 显示的 kid，16 位十六进制）。",
    "keys withdraw --reason": "撤回原因（记入登记册）。",
    "roster check --out": "写出 report.xlsx 的文件夹。",
    "desk --no-browser": "不自动打开浏览器：第一行打印带一次性口令的地址，一直服务到按 Ctrl-C。",
    "desk --folder": "办公桌存放它写出的文件的文件夹（默认在用户数据文件夹的 passgen/desk）。",
    "roster check --ledger": "制卡登记册：按 passgen cards 的方法，用登记册里每位居民的上一张卡和它所依据的事实判定颜色（“上次颜色”只在登记册没有他的卡时才用）。",
    "rules explain --ledger": "制卡登记册：按 passgen cards 的方法，用登记册里每位居民的上一张卡和它所依据的事实判定颜色（“上次颜色”只在登记册没有他的卡时才用）。",
    "ledger correct --reason": "更正的原因（记入登记册，并作为吊销原因）。",
    "rules explain --row": "行号，以 Excel 中显示的为准。",
    "rules explain --id": "身份证号，完整的或卡片、报告上脱敏的都可以。",
    "rules explain --sheet": "只看这个工作表（几个工作表有相同行号时）。",
    "verifier-page --out": "要写出的网页，如 核验.html；旁边另写 名称.sw.js 和 名称.webmanifest（只在放到 https 网站上时用到）。",
    "verifier-page --at": "页面的生成时间（YYYY-MM-DD 或 YYYY-MM-DDTHH:MM），默认现在。",
    "verifier-page --publish-every": "办公室多久发一次新网页（小时）：名单比这更旧时，每个结论上都有醒目的“名单已过期”提醒。",
    "page-fingerprint PAGE": "核验页面文件（如 核验.html）。",
    "verify --at": "按这个时间核验：YYYY-MM-DD（当天中午）或 YYYY-MM-DDTHH:MM（上海时间）。默认现在。",
    "verify --dpi": "把PDF页面转成图像时的分辨率。",
    "verify --max-pages": "每个PDF最多检查的页数；没有检查的页会列出，退出码为1。",
}


def starts_in_chinese(text: str | None) -> bool:
    first = (text or "").lstrip()[:1]
    return bool(first) and ("\u4e00" <= first <= "\u9fff" or first in "“（")


def chinese_first(group: click.Group, prefix: str = "") -> None:
    """Put the Chinese help before the English of every command and option under
    ``group`` (once: a help that already starts in Chinese is kept)."""
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        zh = COMMANDS.get(path)
        if zh and not starts_in_chinese(command.help):
            command.help = f"{zh}\n\n{inspect.cleandoc(command.help or '')}".strip()
            command.short_help = zh
        for param in command.params:
            if isinstance(param, click.Option) and param.help and \
                    not starts_in_chinese(param.help):
                text = OVERRIDES.get(f"{path} {param.opts[0]}") or OPTIONS.get(param.opts[0])
                if text:
                    param.help = f"{text} / {param.help}"
        if isinstance(command, click.Group):
            chinese_first(command, f"{path} ")
