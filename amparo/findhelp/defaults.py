"""Default awareness texts in Spanish and English, offered to organisations as a start
(seed_demo publishes them for the demo organisations). Original texts, written for people
who may be in danger: short sentences, no blame, safety first. An organisation adapts them
to its country's law and services before publishing its own."""

from __future__ import annotations

from amparo.findhelp.models import Topic

SIGNS_ES = """Nadie puede ser comprado, vendido ni obligado a trabajar. La trata de personas ocurre cuando alguien capta, traslada o retiene a una persona con engaños, amenazas o abuso de su situación, para explotarla.

## Señales en una oferta de trabajo o de viaje

- Prometen un sueldo muy alto por un trabajo sencillo, sin contrato escrito.
- Piden que no le cuentes a tu familia los detalles del viaje.
- Pagan tu viaje y luego dicen que les debes una deuda que nunca termina.
- La persona que te recluta cambia de versión sobre el trabajo, el lugar o el sueldo.

## Señales en una situación de trabajo o de vida

- Alguien guarda tus documentos de identidad o tu pasaporte y no te los devuelve.
- No puedes salir cuando quieres, o siempre te acompaña alguien.
- Te amenazan a ti o a tu familia, o amenazan con denunciarte ante migración.
- Trabajas muchas horas sin descanso, sin pago o con un pago que te quitan.
- Vives en el lugar de trabajo y te cobran por dormir o comer más de lo que ganas.

Si reconoces alguna de estas señales, en tu vida o en la de otra persona, no es tu culpa. Puedes pedir ayuda sin dar tu nombre.
"""

SIGNS_EN = """No one can be bought, sold or forced to work. Human trafficking is when someone recruits, moves or holds a person through lies, threats or by taking advantage of their situation, in order to exploit them.

## Signs in a job or travel offer

- A very high wage is promised for simple work, with no written contract.
- You are asked not to tell your family the details of the journey.
- Your travel is paid for, and then you are told you owe a debt that never ends.
- The person recruiting you keeps changing their story about the job, the place or the pay.

## Signs in a work or living situation

- Someone keeps your identity documents or passport and does not give them back.
- You cannot leave when you want to, or someone is always with you.
- You or your family are threatened, or you are threatened with being reported to immigration.
- You work long hours without rest, without pay, or your pay is taken from you.
- You live where you work and are charged more for a bed or food than you earn.

If you recognise any of these signs, in your life or in someone else's, it is not your fault. You can ask for help without giving your name.
"""

RIGHTS_ES = """Si eres o fuiste víctima de trata, tienes derechos, sin importar tu nacionalidad ni tu situación migratoria.

## Tienes derecho a

- **Estar a salvo.** A recibir protección si tú o tu familia están en peligro.
- **Recibir atención.** A alojamiento seguro, atención médica y apoyo psicológico.
- **Entender y ser entendida o entendido.** A un intérprete en tu idioma cuando hables con las autoridades.
- **Asesoría jurídica.** A saber qué opciones tienes, incluida la regularización migratoria que la ley de tu país prevea.
- **Decidir.** A que se te pida permiso antes de compartir tus datos, y a decir que no.
- **Privacidad.** A que tu nombre y tu historia no se publiquen.

Lo que hiciste porque te obligaron no te convierte en culpable. Una organización de ayuda puede acompañarte a conocer estos derechos en tu país.
"""

RIGHTS_EN = """If you are or were a victim of trafficking, you have rights, whatever your nationality or immigration status.

## You have the right to

- **Be safe.** To be protected if you or your family are in danger.
- **Get care.** To safe accommodation, medical care and emotional support.
- **Understand and be understood.** To an interpreter in your language when you speak with the authorities.
- **Legal advice.** To know your options, including any immigration status the law of your country offers.
- **Decide.** To be asked before your information is shared, and to say no.
- **Privacy.** To have your name and your story kept out of the public eye.

What you did because you were forced to does not make you guilty. A support organisation can help you learn what these rights mean in your country.
"""

REPORTING_ES = """Puedes contar lo que sabes sin poner a nadie en más peligro, tampoco a ti.

## Antes de reportar

- Si alguien está en peligro inmediato, llama primero al número de emergencias.
- Usa un teléfono o una computadora que nadie más revise, si puedes.
- No confrontes a quien crees que explota a otra persona.

## Al reportar en este sitio

- No necesitas dar tu nombre. Este sitio no guarda tu dirección ni tu navegador.
- Escribe solo lo que sea seguro escribir: qué viste, dónde y cuándo.
- Al final recibes un código de recibo. Guárdalo en un lugar seguro: con él puedes volver a leer nuestras preguntas.

## Después

- Borra el historial del navegador si otra persona usa tu dispositivo.
- El botón «Salida rápida», arriba a la derecha, te saca de este sitio al instante.
"""

REPORTING_EN = """You can tell what you know without putting anyone, including yourself, in more danger.

## Before you report

- If someone is in immediate danger, call the emergency number first.
- If you can, use a phone or computer that nobody else checks.
- Do not confront the person you think is exploiting someone.

## When you report on this site

- You do not need to give your name. This site does not keep your address or your browser.
- Write only what is safe to write: what you saw, where and when.
- At the end you get a receipt code. Keep it somewhere safe: with it you can come back and read our questions.

## Afterwards

- Clear your browser's history if someone else uses your device.
- The "Quick exit" button, at the top right, takes you off this site at once.
"""

DEFAULT_PAGES: list[dict[str, str]] = [
    {"topic": Topic.SIGNS, "language": "es", "title": "Señales de la trata de personas", "body": SIGNS_ES},
    {"topic": Topic.SIGNS, "language": "en", "title": "Signs of human trafficking", "body": SIGNS_EN},
    {"topic": Topic.RIGHTS, "language": "es", "title": "Tus derechos", "body": RIGHTS_ES},
    {"topic": Topic.RIGHTS, "language": "en", "title": "Your rights", "body": RIGHTS_EN},
    {"topic": Topic.REPORTING, "language": "es", "title": "Cómo reportar de forma segura", "body": REPORTING_ES},
    {"topic": Topic.REPORTING, "language": "en", "title": "How to report safely", "body": REPORTING_EN},
]
