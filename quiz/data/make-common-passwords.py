"""Rebuild the common-password lists in quiz/data (ASVS 5.0 6.2.4); see SOURCES.md there.

    python quiz/data/make-common-passwords.py django django/contrib/auth/common-passwords.txt.gz > quiz/data/common-passwords.txt
    python quiz/data/make-common-passwords.py zh > quiz/data/common-passwords-zh.txt

Both keep only what the rest of the policy would let through (at least 8 characters and 4
different ones), so every line is a password the list alone refuses; lower case, one a line.
"""
from __future__ import annotations

import gzip
import sys


def fits_policy(p: str) -> bool:
    return 8 <= len(p) <= 128 and len(set(p)) >= 4


def from_django(path: str) -> list[str]:
    """Django's list (most common first), filtered; the order is kept."""
    out, seen = [], set()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            p = line.strip().lower()
            if p and fits_policy(p) and p not in seen:
                seen.add(p)
                out.append(p)
    return out


def chinese() -> list[str]:
    """Patterns common among Chinese users: pinyin names and words with number suffixes
    (5201314 我爱你一生一世, 1314 一生一世, 520 我爱你, 888/666/168 lucky numbers), QQ-style and
    keyboard patterns, birth years, and words of this platform's own users (zuzhibu, dangjian)."""
    surnames = ("wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he gao lin luo zheng liang xie song tang "
                "han feng deng cao peng zeng xiao tian dong yuan pan cai jiang yu du ye cheng wei su lv ding ren shen yao lu "
                "cui zhong tan fan jin shi liao jia xia fu fang bai zou meng xiong qin qiu hou yin xue yan duan lei long tao "
                "mao hao gu gong shao wan qian dai mo kong xiang chang").split()
    names = ("zhangwei wangwei wangfang liwei liuwei lina zhangmin lijing wangjing liuyang zhangjing wangli lijun zhangli "
             "wangyong liqiang zhangjie wangjun liyan wangtao zhangyan liming zhangtao wangqiang liuyan chenjie wangpeng "
             "zhanghua wangxiuying lixiuying zhangxiuying wangmin liqing wangyan zhangyong lihua liyang wangchao zhangchao "
             "liuchao chenchen zhangpeng liujun liping wangping zhangping lijie wanglei zhanglei lilei liuna wangna zhangna "
             "chenwei chenjing yangli yangwei zhaowei huangwei zhouwei wuwei xuwei sunwei mawei zhuwei huwei guowei").split()
    words = ("woaini woaini1314 woaini520 woaini521 woaini123 woaini000 woainima woainiya woaiwojia woaiwoma woaibaba woaimama "
             "iloveyou1314 iloveyou520 aini1314 aiai1314 ainiyiwannian yiwannian wobuzhidao buzhidao woshishui woshishei "
             "woshinibaba wodemima nihao123 nihaoma nihaonihao zhongguo zhongguoren zhonghua zhonghuaminzu zhongguomeng "
             "beijing shanghai guangzhou shenzhen tianjin chongqing zhengzhou luoyang kaifeng nanyang xinxiang anyang "
             "wuhan chengdu nanjing hangzhou xian changsha jinan shenyang haerbin kunming fuzhou xiamen hefei taiyuan "
             "mima mimamima mimashi mimashi123 mima123456 wangjimima xiaoxiao xiaoming xiaohong xiaobai xiaoyu xiaozhu "
             "tingting jingjing yangyang huanhuan lele baobao baobei baobeier laopo laogong qinqin tiantian kaixin "
             "kuaile xingfu pingan meimei gege jiejie didi zhuzhu dabao xiaobao shuaige meinv wangzi gongzhu tiancai "
             "dangyuan dangjian dangwei dangzhibu zuzhibu zuzhi zugong zugongganbu ganbu renshi "
             "kaoshi jingsai xuexi xuexiqiangguo gongchandang jiandang renmin weirenminfuwu wangluo diannao jisuanji "
             "dearbook xiazhili woshiniba qazwsx qweasd asdzxc").split()
    suffixes = ["", "123", "1234", "12345", "123456", "888", "666", "520", "521", "1314", "5201314", "1314520", "123123",
                "111", "000", "168", "8888", "6666", "88888888", "666666", "1", "520520", "@123"]
    years = [str(y) for y in range(1960, 2011)]
    numbers = ("5201314 52013140 5201314a a5201314 5201314520 13145201314 1314520520 520131420 52013141314 77585210 "
               "7758521a 7758258a 5841314520 584131421 147258369 159357258 1357924680 11223344 12344321 1234567a "
               "a1234567 123456789a a123456789 123456qq 123456aa aa123456 zxc123456 asd123456 qwe123456 abc123456 "
               "123456abc 123qweasd qweasd123 qweasdzxc 1qaz2wsx3edc 110110110 12121212 31415926 314159265 66668888 "
               "88886666 16881688 168168168 518518518 147852369 963852741 741852963 123654789 987654321a 1234abcd "
               "abcd12345 12345abc a12345678 123456789q q123456789 wwwwww123 123456789z 19491001 20210701 19210701 "
               "qq123456 qq123123 qq666666 qq888888 qq5201314 qq1314520 qq520520 qq111111 qq000000 qq147258 "
               "qq12345678 qq123456789 qqqq1111 woaiqq qq1234567 1234qqqq 123456qwe qwer1234 1qaz2wsx 1q2w3e4r5t "
               "zxcvbnm123 asdfghjkl1 qwertyuiop1 bj2008 beijing2008 aoyun2008 shijie2010 china2008 china1949").split()
    seed = ["zugong123", "zuzhibu123", "dangjian123", "gongchandang", "admin888", "huawei123", "china123", "12345qwert",
            "a1b2c3d4", "p@ssw0rd", "passw0rd", "changeme123", "root123", "user1234", "test1234", "welcome1"]

    out, seen = [], set()

    def add(p: str) -> None:
        p = p.lower()
        if fits_policy(p) and p not in seen:
            seen.add(p)
            out.append(p)


    for p in seed + numbers:
        add(p)
    for w in words:
        for s in (suffixes if w.isalpha() else [""]):
            add(w + s)
    for n in names:
        for s in suffixes:
            add(n + s)
    for s in surnames:
        for suf in suffixes:
            add(s + suf)
    for s in surnames[:30]:
        for y in years:
            add(s + y)
    for n in names[:20]:
        for y in years:
            add(n + y)
    return out


if __name__ == "__main__":
    words = from_django(sys.argv[2]) if sys.argv[1] == "django" else chinese()
    sys.stdout.write("\n".join(words) + "\n")
