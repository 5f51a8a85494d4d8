"""Language names for the prompt and the script check of summaries."""

from __future__ import annotations

import pytest

from bot.language import canonical_language
from summarizer.lang import chinese_script, is_in_language, language_name, written_in


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("en", "English"),
        ("zh", "Simplified Chinese"),
        ("zh-CN", "Simplified Chinese"),
        ("zh-TW", "Traditional Chinese"),
        ("zh-Hant-HK", "Traditional Chinese"),
        ("zh-hans", "Simplified Chinese"),
        ("pt-BR", "Portuguese"),
        ("sw", "Swahili"),
        ("tlh", "Klingon"),
        ("de-AT", "German"),
        ("ja", "Japanese"),
        ("xx", "the language with the code xx"),
    ],
)
def test_language_name(code: str, name: str) -> None:
    """Every spelling of a language maps to its one prompt name; unknown codes pass through as codes."""
    assert language_name(code) == name


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("本文提出一种新的分布式训练调度方法，实验表明训练速度显著提升。", "zh", True),
        ("本文提出 OverlapNet 调度器，在 64 个 GPU 上将 step time 缩短 37%。", "zh", True),
        ("This paper proposes a new scheduler for distributed training.", "zh", False),
        ("本論文は新しい手法を提案する。実験では性能が向上した。", "ja", True),
        ("本文提出一种新的分布式训练调度方法。", "en", False),
        ("This paper proposes a new scheduler for distributed training.", "en", True),
        ("Diese Arbeit schlägt einen neuen Scheduler für verteiltes Training vor.", "de", True),
        ("Статья предлагает новый метод распределённого обучения.", "ru", True),
        ("This paper proposes a new method.", "ru", False),
        ("이 논문은 새로운 방법을 제안한다.", "ko", True),
        ("Any text at all.", "tlh", True),
        ("", "en", False),
    ],
)
def test_is_in_language(text: str, code: str, expected: bool) -> None:
    """Chinese must be mostly Han characters (English terms allowed), English mostly Latin letters."""
    assert is_in_language(text, code) is expected


# -- the language itself, among the languages of the same script ---------------------------------------

ABSTRACT = (
    "We present OverlapNet, a scheduler for Gaussian Splatting and Neural Radiance Fields that overlaps "
    "gradient communication with computation in distributed data-parallel training. On 64 GPUs it "
    "improves throughput by 37% over PyTorch DDP while keeping accuracy unchanged."
)

SUMMARIES = {
    "en": "This paper presents OverlapNet, a scheduler that overlaps gradient communication with computation "
    "in distributed training, improving throughput by 37% on 64 GPUs without hurting accuracy.",
    "de": "Die Arbeit stellt OverlapNet vor, einen Scheduler, der die Gradientenkommunikation beim verteilten "
    "Training mit der Berechnung überlappt und den Durchsatz auf 64 GPUs um 37 % steigert.",
    "nl": "Dit artikel presenteert OverlapNet, een planner die gradiëntcommunicatie overlapt met berekeningen "
    "bij gedistribueerde training en de doorvoer op 64 GPU's met 37% verhoogt.",
    "fr": "Cet article présente OverlapNet, un ordonnanceur qui superpose la communication des gradients et "
    "le calcul lors de l'entraînement distribué, augmentant le débit de 37 % sur 64 GPU.",
    "es": "Este artículo presenta OverlapNet, un planificador que solapa la comunicación de gradientes con el "
    "cómputo en el entrenamiento distribuido y mejora el rendimiento un 37 % en 64 GPU.",
    "pt": "Este artigo apresenta o OverlapNet, um escalonador que sobrepõe a comunicação de gradientes ao "
    "cálculo no treinamento distribuído, aumentando a vazão em 37% em 64 GPUs.",
    "it": "Questo articolo presenta OverlapNet, uno scheduler che sovrappone la comunicazione dei gradienti al "
    "calcolo nell'addestramento distribuito, aumentando il throughput del 37% su 64 GPU.",
    "pl": "Artykuł przedstawia OverlapNet, planistę, który nakłada komunikację gradientów na obliczenia w "
    "treningu rozproszonym, zwiększając przepustowość o 37% na 64 GPU.",
    "sv": "Artikeln presenterar OverlapNet, en schemaläggare som överlappar gradientkommunikation med "
    "beräkning vid distribuerad träning och ökar genomströmningen med 37 % på 64 GPU:er.",
    "da": "Artiklen præsenterer OverlapNet, en planlægger, der overlapper gradientkommunikation med "
    "beregning under distribueret træning og øger gennemløbet med 37 % på 64 GPU'er.",
    "nb": "Artikkelen presenterer OverlapNet, en planlegger som overlapper gradientkommunikasjon med "
    "beregning under distribuert trening og øker gjennomstrømningen med 37 % på 64 GPU-er.",
    "cs": "Článek představuje OverlapNet, plánovač, který při distribuovaném trénování překrývá komunikaci "
    "gradientů s výpočtem a zvyšuje propustnost o 37 % na 64 GPU bez ztráty přesnosti.",
    "tr": "Bu makale, dağıtık eğitimde gradyan iletişimini hesaplamayla örtüştüren bir zamanlayıcı olan "
    "OverlapNet'i sunuyor ve doğruluğu düşürmeden 64 GPU'da verimi %37 artırıyor.",
    "vi": "Bài báo giới thiệu OverlapNet, một bộ lập lịch chồng lấp việc truyền gradient với tính toán trong "
    "huấn luyện phân tán, tăng thông lượng 37% trên 64 GPU mà không giảm độ chính xác.",
    "id": "Makalah ini menyajikan OverlapNet, penjadwal yang menumpangtindihkan komunikasi gradien dengan "
    "komputasi dalam pelatihan terdistribusi, meningkatkan throughput sebesar 37% pada 64 GPU.",
    "ru": "В статье представлен OverlapNet — планировщик, который совмещает передачу градиентов с "
    "вычислениями при распределённом обучении и повышает пропускную способность на 37 %.",
    "uk": "У статті представлено OverlapNet — планувальник, який поєднує передавання градієнтів з "
    "обчисленнями під час розподіленого навчання та підвищує пропускну здатність на 37 %.",
    "bg": "Статията представя OverlapNet – планировчик, който припокрива комуникацията на градиентите с "
    "изчисленията при разпределено обучение и увеличава пропускателната способност с 37 %.",
    "zh": "本文提出OverlapNet，一种在分布式数据并行训练中将梯度通信与计算重叠的调度器，在64块GPU上将"
    "吞吐量提升37%，且不影响精度。",
    "ja": "本論文は、分散データ並列学習において勾配通信と計算を重ね合わせるスケジューラOverlapNetを提案し、"
    "64台のGPUでスループットを37%向上させる。",
    "ko": "이 논문은 분산 학습에서 그래디언트 통신과 계산을 겹치는 스케줄러 OverlapNet을 제안하며, 64개의 "
    "GPU에서 처리량을 37% 향상시킨다.",
    "ar": "تقدم هذه الورقة OverlapNet، وهو مجدول يداخل اتصال التدرجات مع الحساب في التدريب الموزع، ويزيد "
    "الإنتاجية بنسبة 37% على 64 وحدة GPU دون فقدان الدقة.",
    "fa": "این مقاله OverlapNet را معرفی می‌کند، زمان‌بندی که ارتباط گرادیان‌ها را با محاسبات در آموزش "
    "توزیع‌شده همپوشانی می‌دهد و توان عملیاتی را ۳۷ درصد افزایش می‌دهد.",
}

SHORT_SUMMARIES = {
    "en": "OverlapNet speeds up distributed GPU training by 37%.",
    "de": "OverlapNet beschleunigt verteiltes Training auf GPUs um 37 %.",
    "fr": "OverlapNet accélère l'entraînement distribué sur GPU de 37 %.",
    "es": "OverlapNet acelera el entrenamiento distribuido en GPU un 37 %.",
    "pt": "O OverlapNet acelera o treinamento distribuído em GPUs em 37%.",
    "it": "OverlapNet accelera l'addestramento distribuito su GPU del 37%.",
    "nl": "OverlapNet versnelt gedistribueerde training op GPU's met 37%.",
    "sv": "OverlapNet snabbar upp distribuerad träning på GPU:er med 37 %.",
    "da": "OverlapNet gør distribueret træning på GPU'er 37 % hurtigere.",
    "nb": "OverlapNet gjør distribuert trening på GPU-er 37 % raskere.",
    "pl": "OverlapNet przyspiesza rozproszony trening na GPU o 37%.",
    "pt-BR": "Um novo método para Gaussian Splatting e Neural Radiance Fields com ganho de 37%.",
    "es-MX": "Un nuevo método para Gaussian Splatting y Neural Radiance Fields con 37 % de mejora.",
    "de-AT": "Neue Methode für Gaussian Splatting und Neural Radiance Fields, 37 % schneller auf GPU.",
}


@pytest.mark.parametrize(("code", "text"), [*SUMMARIES.items(), *SHORT_SUMMARIES.items()])
def test_answers_in_the_language_asked_are_kept(code: str, text: str) -> None:
    """Right answers, long or as short as one sentence, full of names copied from the abstract, are
    in their language."""
    assert written_in(text, canonical_language(code) or code, ABSTRACT)


WRONG = [
    ("en", "de"), ("en", "fr"), ("en", "nl"), ("en", "es"), ("de", "nl"), ("de", "sv"), ("de", "da"),
    ("de", "fr"), ("nl", "de"), ("fr", "it"), ("it", "fr"), ("it", "es"), ("es", "pt"), ("pt", "es"),
    ("es", "it"), ("sv", "nb"), ("nb", "da"), ("da", "nb"), ("da", "sv"), ("pl", "cs"), ("cs", "pl"),
    ("id", "pt"), ("tr", "pl"), ("vi", "tr"), ("ru", "uk"), ("ru", "bg"), ("uk", "ru"), ("bg", "ru"),
    ("ar", "fa"), ("fa", "ar"), ("ja", "zh"), ("ko", "zh"), ("zh", "ja"),
]  # fmt: skip


@pytest.mark.parametrize(("asked", "answered"), WRONG)
def test_an_answer_in_another_language_of_the_same_script_is_wrong(asked: str, answered: str) -> None:
    """Asked for one language, an answer in another written in the same script (English for German,
    Dutch for German, Danish for Norwegian, Ukrainian for Russian, Persian for Arabic, Chinese for
    Japanese or Korean) is not in the language asked."""
    assert not written_in(SUMMARIES[answered], asked, ABSTRACT)


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("本文提出OverlapNet，一種在分散式訓練中將梯度通訊與計算重疊的排程器，吞吐量提升37%。", "zh",
         "本文提出OverlapNet，一种在分散式训练中将梯度通讯与计算重叠的排程器，吞吐量提升37%。"),
        ("本文提出OverlapNet，一种在分布式训练中将梯度通信与计算重叠的调度器，吞吐量提升37%。", "zh-Hant",
         "本文提出OverlapNet，一種在分佈式訓練中將梯度通信與計算重疊的調度器，吞吐量提升37%。"),
        ("本文提出OverlapNet，一种在分布式训练中将梯度通信与计算重叠的调度器，吞吐量提升37%。", "zh",
         "本文提出OverlapNet，一种在分布式训练中将梯度通信与计算重叠的调度器，吞吐量提升37%。"),
        ("Die Arbeit stellt OverlapNet vor.", "de", "Die Arbeit stellt OverlapNet vor."),
    ],
)  # fmt: skip
def test_chinese_answers_come_in_the_script_asked(text: str, code: str, expected: str) -> None:
    """Asked for Simplified Chinese, a Traditional answer is converted (and the other way round); a
    Simplified answer, and any other language, is unchanged."""
    assert chinese_script(text, code) == expected
