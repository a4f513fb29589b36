/*
 * The widget's built-in words, per language: the question of each survey
 * type, the words at the two ends of each scale, and the follow-up step.
 * Chosen by the page's lang (<html lang="uk">); any of them can be
 * replaced from the page (data-cx-question, data-cx-text-KEY).
 *
 * One string per language, fields separated by "|", in the order of KEYS:
 * small to ship and easy to compare side by side.
 */

export const KEYS = [
    'nps', 'csat', 'ces',                      /* the questions */
    'nps-low', 'nps-high', 'csat-low', 'csat-high', 'ces-low', 'ces-high',
    'followup', 'send', 'skip', 'close', 'thanks'
];

const WORDS = {
    en: 'How likely are you to recommend us to a friend or colleague?'
        + '|How satisfied are you with your experience today?'
        + '|How easy was it to do what you came here to do?'
        + '|Not at all likely|Extremely likely'
        + '|Very dissatisfied|Very satisfied'
        + '|Very difficult|Very easy'
        + '|What could we do better? (optional)'
        + '|Send|Skip|Close survey|Thank you for your feedback!',

    ru: 'Насколько вероятно, что вы порекомендуете нас другу или коллеге?'
        + '|Насколько вы довольны сегодняшним визитом?'
        + '|Насколько легко вам было сделать то, зачем вы пришли?'
        + '|Совсем маловероятно|Очень вероятно'
        + '|Совсем не доволен|Очень доволен'
        + '|Очень сложно|Очень легко'
        + '|Что нам стоит улучшить? (необязательно)'
        + '|Отправить|Пропустить|Закрыть опрос|Спасибо за ваш отзыв!',

    uk: 'Наскільки ймовірно, що ви порекомендуєте нас другові чи колезі?'
        + '|Наскільки ви задоволені сьогоднішнім візитом?'
        + '|Наскільки легко вам було зробити те, заради чого ви прийшли?'
        + '|Зовсім малоймовірно|Дуже ймовірно'
        + '|Зовсім не задоволений|Дуже задоволений'
        + '|Дуже складно|Дуже легко'
        + '|Що нам варто покращити? (необов\u2019язково)'
        + '|Надіслати|Пропустити|Закрити опитування|Дякуємо за ваш відгук!',

    ro: 'Cât de probabil este să ne recomandați unui prieten sau coleg?'
        + '|Cât de mulțumit sunteți de experiența de astăzi?'
        + '|Cât de ușor v-a fost să faceți ceea ce ați venit să faceți?'
        + '|Deloc probabil|Foarte probabil'
        + '|Foarte nemulțumit|Foarte mulțumit'
        + '|Foarte dificil|Foarte ușor'
        + '|Ce am putea face mai bine? (opțional)'
        + '|Trimite|Omite|Închide sondajul|Vă mulțumim pentru feedback!',

    pl: 'Jak bardzo prawdopodobne jest, że polecisz nas znajomemu lub współpracownikowi?'
        + '|Jak bardzo jesteś zadowolony z dzisiejszej wizyty?'
        + '|Jak łatwo było Ci załatwić to, po co przyszedłeś?'
        + '|Zdecydowanie nie|Zdecydowanie tak'
        + '|Bardzo niezadowolony|Bardzo zadowolony'
        + '|Bardzo trudno|Bardzo łatwo'
        + '|Co możemy poprawić? (opcjonalnie)'
        + '|Wyślij|Pomiń|Zamknij ankietę|Dziękujemy za opinię!'
};


/* the words for a language tag such as "uk", "pt-BR" or "" (English) */

export function words(lang) {
    const list = (WORDS[String(lang).toLowerCase().split(/[-_]/)[0]]
                  || WORDS.en).split('|');
    const w = {};

    KEYS.forEach((k, i) => { w[k] = list[i]; });

    return w;
}
